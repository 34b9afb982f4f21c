package revoluttest

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/revledger/revledger/extract/revolut"
)

// world holds the business's slowly changing setup: accounts, people, cards, merchants,
// counterparties and accounting settings. It is generated once per seed.
type world struct {
	accounts       []account
	members        []member
	cards          []card
	merchants      []merchant
	counterparties []counterparty
	categories     []category
	taxRates       []taxRate
	labelGroups    []labelGroup
}

type account struct {
	id       uuid
	name     string
	cur      int
	created  int64
	updated  int64
	balance  int64 // running balance in minor units
	opening  int64 // balance before the first booked leg
	public   bool
	inactive bool
}

type member struct {
	id                      uuid
	first, last, email, rol string
	state                   string
	created, updated        int64
	phone                   string
}

type card struct {
	id               uuid
	holder           int // member index, -1 = company card
	lastDigits       string
	bin              string
	expiry           string
	label            string
	state            string
	virtual          bool
	refs             []revolut.CardReference
	limitSingle      int64 // minor units of limitCur
	limitMonth       int64
	limitCur         int
	accounts         []int
	created, updated int64
}

type merchant struct {
	id                       uuid
	name, fullName, city, cc string
	mcc                      string
	cur                      int
	minMinor, maxMinor       int64 // typical spend in minor units of cur
}

type counterparty struct {
	id, accountID    uuid
	name             string
	profile          string
	revolut          bool
	country          string
	cur              int
	iban, bic        string
	accountNo, sort  string
	created, updated int64
	desc             string // "To <name>", shared by every leg
}

type category struct {
	id               uuid
	name, code       string
	defaultTax       int
	created, updated int64
}

type taxRate struct {
	id               uuid
	name             string
	percent          string // decimal text; "" never happens in settings
	omitInSplit      bool   // splits leave the percentage out, so clients must look it up
	created, updated int64
}

type labelGroup struct {
	id               uuid
	name             string
	labels           []labelDef
	created, updated int64
}

type labelDef struct {
	id               uuid
	name             string
	created, updated int64
}

var (
	firstNames = []string{"Ray", "Amelia", "Oliver", "Priya", "Jonas", "Chloé", "Mateo", "Hannah", "Kenji", "Fatima", "Liam", "Sofia", "Noah", "Zara", "Ethan", "Mia"}
	lastNames  = []string{"Trenfield", "Smith", "Okafor", "Patel", "Müller", "Dubois", "García", "Kowalski", "Tanaka", "Haddad", "O'Brien", "Rossi", "Nguyen", "Khan", "Jones", "Larsen"}
	companies  = []string{"Acme Supplies Ltd", "Northwind Traders", "Globex GmbH", "Initech SARL", "Umbrella Logistics", "Stark Components", "Wayne Consulting", "Hooli Cloud", "Vandelay Imports", "Soylent Foods", "Tyrell Design", "Cyberdyne Hosting", "Wonka Catering", "Gringotts Legal", "Pied Piper Ltd", "Dunder Paper Co"}
)

// merchantTemplates: name, city, ISO 3166 alpha-3 country, MCC, currency, typical spend range
// in major units.
var merchantTemplates = []struct {
	name, city, country, mcc string
	cur                      int
	lo, hi                   int64
}{
	{"Pret A Manger", "London", "GBR", "5814", curGBP, 3, 25},
	{"Tesco", "London", "GBR", "5411", curGBP, 5, 180},
	{"Amazon UK", "London", "GBR", "5942", curGBP, 8, 600},
	{"Trainline", "London", "GBR", "4112", curGBP, 12, 240},
	{"British Airways", "London", "GBR", "3005", curGBP, 90, 1800},
	{"Uber", "London", "GBR", "4121", curGBP, 6, 60},
	{"WeWork", "Manchester", "GBR", "6513", curGBP, 150, 2400},
	{"Staples", "Leeds", "GBR", "5111", curGBP, 4, 300},
	{"Premier Inn", "Bristol", "GBR", "7011", curGBP, 60, 420},
	{"Shell", "Reading", "GBR", "5541", curGBP, 20, 110},
	{"Google Workspace", "Dublin", "IRL", "5734", curEUR, 10, 400},
	{"Deutsche Bahn", "Berlin", "DEU", "4112", curEUR, 20, 260},
	{"Hotel Adlon", "Berlin", "DEU", "7011", curEUR, 180, 1400},
	{"Café de Flore", "Paris", "FRA", "5812", curEUR, 8, 95},
	{"SNCF", "Paris", "FRA", "4112", curEUR, 25, 190},
	{"Booking.com", "Amsterdam", "NLD", "4722", curEUR, 70, 900},
	{"GitHub", "San Francisco", "USA", "5734", curUSD, 4, 420},
	{"AWS", "Seattle", "USA", "7372", curUSD, 30, 5200},
	{"Delta Air Lines", "Atlanta", "USA", "3058", curUSD, 150, 2600},
	{"Starbucks", "New York", "USA", "5814", curUSD, 4, 30},
	{"Lawson", "Tokyo", "JPN", "5499", curJPY, 300, 4000},
	{"JR East", "Tokyo", "JPN", "4112", curJPY, 200, 14000},
	{"Hotel Okura", "Tokyo", "JPN", "7011", curJPY, 18000, 90000},
	{"Migros", "Zurich", "CHE", "5411", curCHF, 5, 140},
	{"SBB", "Zurich", "CHE", "4112", curCHF, 10, 160},
	{"IKEA", "Stockholm", "SWE", "5712", curSEK, 90, 9000},
	{"LOT Polish Airlines", "Warsaw", "POL", "3075", curPLN, 250, 3500},
}

var categoryTemplates = []struct{ name, code string }{
	{"Travel", "7400"}, {"Accommodation", "7410"}, {"Meals & Entertainment", "7600"},
	{"Office Supplies", "7500"}, {"Software & Subscriptions", "7520"}, {"Cloud Hosting", "7525"},
	{"Fuel", "7300"}, {"Vehicle Operating Expenses", "7310"}, {"Training", "7700"},
	{"General Expenses", "429"}, {"Printing & Stationery", "461"}, {"Sundry", ""},
}

var labelGroupTemplates = []struct {
	name   string
	labels []string
}{
	{"Department", []string{"HR", "Engineering", "Sales & Marketing", "Finance & Legal", "Operations", "IT & Tech Support"}},
	{"Project", nil}, // filled with numbered projects so the group spans several pages
	{"Cost centre", []string{"CC-100 London", "CC-200 Berlin", "CC-300 New York", "CC-400 Tokyo"}},
}

// newWorld builds the setup for a history that starts at start (Unix nanoseconds).
func newWorld(r *rand.Rand, start int64) *world {
	w := &world{}
	before := func(maxDays int64) int64 { return between(r, start-maxDays*dayNanos, start-dayNanos) }

	for _, a := range []struct {
		name string
		cur  int
	}{{"Main", curGBP}, {"Savings", curGBP}, {"Euro", curEUR}, {"Dollar", curUSD}, {"Yen", curJPY}} {
		created := before(900)
		w.accounts = append(w.accounts, account{id: newUUID(r), name: a.name, cur: a.cur, created: created, updated: created, public: a.name == "Main"})
	}

	for i := range 12 {
		first, last := firstNames[i], lastNames[(i*5+3)%len(lastNames)]
		created := before(800)
		state := "active"
		switch i {
		case 9:
			state = "locked"
		case 10:
			state = "disabled"
		case 11:
			state = "waiting"
		}
		role := "EMPLOYEE"
		switch i {
		case 0:
			role = "OWNER"
		case 1, 2:
			role = "ADMIN"
		}
		email := strings.ToLower(asciiOnly(first)+"."+asciiOnly(last)) + "@example.com"
		w.members = append(w.members, member{id: newUUID(r), first: first, last: last, email: email, rol: role, state: state, created: created, updated: created + r.Int64N(30)*dayNanos, phone: fmt.Sprintf("+4477009%05d", r.IntN(100000))})
	}

	for i := range 16 {
		holder := i % 12
		c := card{id: newUUID(r), holder: holder, virtual: i%3 == 0, state: "active",
			bin: []string{"516760", "459678", "535522"}[i%3], lastDigits: fmt.Sprintf("%04d", r.IntN(10000)),
			expiry: fmt.Sprintf("%02d/%d", 1+r.IntN(12), 2027+r.IntN(4)), limitCur: curGBP,
			limitSingle: int64(500+r.IntN(20)*100) * 100, limitMonth: int64(5000+r.IntN(20)*1000) * 100,
			accounts: []int{0}}
		if i >= 12 { // company cards: no holder, identified by references
			c.holder = -1
			c.label = []string{"Travel desk", "Marketing tools", "Cloud billing", "Events"}[i-12]
			c.refs = []revolut.CardReference{{Name: "Cost centre", Value: fmt.Sprintf("CC-%d00", i-11)}}
			if i == 12 {
				c.refs = append(c.refs, revolut.CardReference{Name: "PNR", Value: "RT12345"})
			}
			c.accounts = []int{0, 2, 3}
		}
		switch i {
		case 4, 13:
			c.state = "frozen"
		case 7, 10:
			c.state = "locked"
		case 11:
			c.state = "created"
		}
		c.created = before(700)
		c.updated = c.created + r.Int64N(60)*dayNanos
		w.cards = append(w.cards, c)
	}

	for _, m := range merchantTemplates {
		full := strings.ToUpper(strings.ReplaceAll(asciiOnly(m.name), " ", "")) + fmt.Sprintf("*%06X", r.IntN(1<<24))
		if len(full) > 22 {
			full = full[len(full)-22:]
		}
		scale := currencies[m.cur].minorScale
		w.merchants = append(w.merchants, merchant{id: newUUID(r), name: m.name, fullName: full, city: m.city, cc: m.country, mcc: m.mcc, cur: m.cur, minMinor: m.lo * scale, maxMinor: m.hi * scale})
	}

	for i := range 40 {
		var name, profile string
		if i < len(companies) {
			name, profile = companies[i], "business"
		} else {
			name, profile = firstNames[i%len(firstNames)]+" "+lastNames[(i*7)%len(lastNames)], "personal"
		}
		cp := counterparty{id: newUUID(r), accountID: newUUID(r), name: name, profile: profile, revolut: i%5 == 4, created: before(600)}
		cp.updated = cp.created
		switch i % 4 {
		case 0, 1:
			cp.country, cp.cur = "GB", curGBP
			cp.accountNo, cp.sort = fmt.Sprintf("%08d", r.IntN(100000000)), fmt.Sprintf("%06d", r.IntN(1000000))
		case 2:
			cp.country, cp.cur = "DE", curEUR
			cp.iban, cp.bic = fmt.Sprintf("DE%02d5001051%011d", 10+r.IntN(89), r.Int64N(1e11)), "INGDDEFFXXX"
		case 3:
			cp.country, cp.cur = "FR", curEUR
			cp.iban, cp.bic = fmt.Sprintf("FR%02d30006000%013d", 10+r.IntN(89), r.Int64N(1e13)), "AGRIFRPPXXX"
		}
		cp.desc = "To " + name
		w.counterparties = append(w.counterparties, cp)
	}

	settingsTime := func() (int64, int64) {
		c := before(500)
		return c, c + r.Int64N(100)*dayNanos
	}
	for _, t := range []struct {
		name, pct string
		omit      bool
	}{{"Standard 20%", "20", false}, {"Reduced 5%", "5", false}, {"Zero rated", "0", false}, {"Hotel 10%", "10", true}} {
		c, u := settingsTime()
		w.taxRates = append(w.taxRates, taxRate{id: newUUID(r), name: t.name, percent: t.pct, omitInSplit: t.omit, created: c, updated: u})
	}
	for _, t := range categoryTemplates {
		c, u := settingsTime()
		def := 0
		switch t.name {
		case "Travel", "Training":
			def = 2
		case "Accommodation":
			def = 3
		case "Fuel":
			def = 1
		}
		w.categories = append(w.categories, category{id: newUUID(r), name: t.name, code: t.code, defaultTax: def, created: c, updated: u})
	}
	for _, g := range labelGroupTemplates {
		c, u := settingsTime()
		lg := labelGroup{id: newUUID(r), name: g.name, created: c, updated: u}
		names := g.labels
		if names == nil {
			for p := range 130 {
				names = append(names, fmt.Sprintf("PRJ-%03d", p+1))
			}
		}
		for _, n := range names {
			lc, lu := settingsTime()
			lg.labels = append(lg.labels, labelDef{id: newUUID(r), name: n, created: lc, updated: lu})
		}
		w.labelGroups = append(w.labelGroups, lg)
	}
	return w
}

// asciiOnly drops accents so generated e-mail addresses stay valid.
func asciiOnly(s string) string {
	r := strings.NewReplacer("é", "e", "ü", "u", "í", "i", "'", "")
	return r.Replace(s)
}
