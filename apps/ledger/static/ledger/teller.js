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
            const response = await fetch(url + "?q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}});
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
