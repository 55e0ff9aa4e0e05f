// Account look-up for the teller screens (an Alpine.js component): type a name, a member number or
// the start of an account number, pick an account, and its number fills the account field.
function coastalAccountLookup(url, inputId) {
    return {
        query: "",
        results: [],
        open: false,
        async search() {
            const q = this.query.trim();
            if (q.length < 2) { this.results = []; this.open = false; return; }
            const response = await fetch(url + (url.includes("?") ? "&" : "?") + "q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}});
            if (!response.ok) { return; }
            this.results = (await response.json()).results;
            this.open = true;
        },
        choose(result) {
            document.getElementById(inputId).value = result.account_number;
            this.query = result.member_name + " · " + result.account_number;
            this.open = false;
        },
    };
}

// The shares pay-out: choosing the member's Shares account opens the page for it, so the page can
// offer that member's other accounts to pay the shares into.
function coastalSharesLookup(url, inputId) {
    const lookup = coastalAccountLookup(url, inputId);
    lookup.choose = function (result) {
        window.location.search = "?account=" + encodeURIComponent(result.account_number);
    };
    return lookup;
}
