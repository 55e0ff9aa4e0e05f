/* Cash screens: live totals of denomination counts, the live drawer balance, one tap per form,
   the daily amount filled in on request. */
(function () {
    "use strict";

    // Work in pesewas (integers) so 0.10 + 0.20 is exactly 0.30.
    function pesewas(text) {
        var parts = String(text || "0").replace(/,/g, "").trim().split(".");
        var whole = parseInt(parts[0] || "0", 10) || 0;
        var cents = parseInt(((parts[1] || "") + "00").slice(0, 2), 10) || 0;
        return whole * 100 + cents;
    }

    function cedis(value) {
        var negative = value < 0;
        value = Math.abs(value);
        var whole = Math.floor(value / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
        var cents = ("0" + (value % 100)).slice(-2);
        return (negative ? "−" : "") + whole + "." + cents;
    }

    function setupCount(group) {
        var inputs = group.querySelectorAll("input[data-value]");
        var totalOut = group.querySelectorAll("[data-count-total]");
        var target = group.hasAttribute("data-target") ? pesewas(group.getAttribute("data-target")) : null;
        var status = group.querySelector("[data-count-status]");
        var entered = group.getAttribute("data-entered") ? document.getElementById(group.getAttribute("data-entered")) : null;
        var enteredStatus = group.querySelector("[data-entered-status]");

        function update() {
            var total = 0;
            inputs.forEach(function (input) {
                var count = parseInt(input.value, 10);
                var valid = input.value === "" || (/^\d+$/.test(input.value.trim()) && count >= 0);
                input.classList.toggle("cash-invalid", !valid);
                var subtotal = valid && input.value !== "" ? pesewas(input.getAttribute("data-value")) * count : 0;
                total += subtotal;
                var out = group.querySelector('[data-subtotal-for="' + input.name + '"]');
                if (out) { out.textContent = subtotal ? cedis(subtotal) : "—"; }
            });
            totalOut.forEach(function (out) { out.textContent = cedis(total); });
            if (status && target !== null) {
                var difference = total - target;
                status.textContent = difference === 0 ? "Matches" : (difference < 0 ? cedis(-difference) + " short" : cedis(difference) + " over");
                status.className = "cash-status " + (difference === 0 ? "cash-status-ok" : "cash-status-off");
            }
            if (entered && enteredStatus) {
                if (entered.value.trim() === "") {
                    enteredStatus.textContent = "";
                } else if (pesewas(entered.value) === total) {
                    enteredStatus.textContent = "Agrees with the counts";
                    enteredStatus.className = "cash-status cash-status-ok";
                } else {
                    enteredStatus.textContent = "Does not agree with the counts (" + cedis(total) + ")";
                    enteredStatus.className = "cash-status cash-status-off";
                }
            }
        }

        inputs.forEach(function (input) { input.addEventListener("input", update); });
        if (entered) { entered.addEventListener("input", update); }
        update();
    }

    function setupExpected(node) {
        var url = node.getAttribute("data-expected-url");
        var every = parseInt(node.getAttribute("data-refresh") || "15", 10) * 1000;
        setInterval(function () {
            if (document.hidden) { return; }
            fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
                .then(function (response) { return response.ok ? response.json() : null; })
                .then(function (data) {
                    if (data && data.open) { node.textContent = data.expected_display; }
                })
                .catch(function () { /* offline for a moment: keep the last figure */ });
        }, every);
    }

    // One submission per form: a second tap while the first is on its way does nothing.
    // (The idempotency key is what makes a repeat safe; this only saves a round trip.)
    function setupOnce(form) {
        form.addEventListener("submit", function (event) {
            if (form.dataset.submitted === "1") { event.preventDefault(); return; }
            form.dataset.submitted = "1";
            var buttons = form.querySelectorAll("button[type=submit]");
            buttons.forEach(function (button) {
                button.classList.add("opacity-50");
                button.setAttribute("aria-busy", "true");
            });
            // If the network drops the request, let the person try again after a while.
            setTimeout(function () {
                form.dataset.submitted = "";
                buttons.forEach(function (button) {
                    button.classList.remove("opacity-50");
                    button.removeAttribute("aria-busy");
                });
            }, 8000);
        });
    }

    function setupFilter(input) {
        var items = document.querySelectorAll(input.getAttribute("data-filter"));
        input.addEventListener("input", function () {
            var query = input.value.trim().toLowerCase();
            items.forEach(function (item) {
                item.hidden = query !== "" && item.getAttribute("data-search").toLowerCase().indexOf(query) === -1;
            });
        });
    }

    function setupCopy(button) {
        button.addEventListener("click", function () {
            var source = document.getElementById(button.getAttribute("data-copy"));
            if (!source || !navigator.clipboard) { return; }
            navigator.clipboard.writeText(source.textContent.trim()).then(function () {
                var label = button.querySelector("[data-copy-label]");
                if (label) { label.textContent = "Copied"; }
            });
        });
    }

    // "= 20.00" beside a collection's amount fills in the member's daily amount; it posts nothing.
    function setupFill(button) {
        button.addEventListener("click", function () {
            var input = button.form && button.form.querySelector("input[name=amount]");
            if (!input) { return; }
            input.value = button.getAttribute("data-fill-amount");
            input.focus();
        });
    }

    function init() {
        document.querySelectorAll("[data-count-group]").forEach(setupCount);
        document.querySelectorAll("[data-expected-url]").forEach(setupExpected);
        document.querySelectorAll("form[data-once]").forEach(setupOnce);
        document.querySelectorAll("input[data-filter]").forEach(setupFilter);
        document.querySelectorAll("[data-copy]").forEach(setupCopy);
        document.querySelectorAll("[data-fill-amount]").forEach(setupFill);
        document.querySelectorAll("[data-print]").forEach(function (button) {
            button.addEventListener("click", function () { window.print(); });
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
})();
