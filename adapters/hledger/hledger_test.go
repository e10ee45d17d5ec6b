package hledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/randomledger"

	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/envtest"
)

func TestSegment(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain number kept", "KNVOC-2022-2025", "KNVOC-2022-2025"},
		{"slashes and points kept", "2021.LV/NVOF/MIC/031/10", "2021.LV/NVOF/MIC/031/10"},
		{"latvian letters kept", "Ā-līnija", "Ā-līnija"},
		{"colon replaced and hashed", "a:b", "a-b~" + hash8("a:b")},
		{"semicolon and spaces replaced", "RND 1; x", "RND-1--x~" + hash8("RND 1; x")},
		{"empty gets a hash", "", "~" + hash8("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Segment(tt.in); got != tt.want {
				t.Errorf("Segment(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("different inputs that sanitize alike stay apart", func(t *testing.T) {
		if a, b := Segment("a:b"), Segment("a;b"); a == b {
			t.Errorf("Segment(a:b) = Segment(a;b) = %q", a)
		}
	})
}

func hash8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

func TestExportSeedJournal(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.All()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{Agreements: []string{seeds.Seed004}}); err != nil {
		t.Fatalf("Export: %v", err)
	}
	j := buf.String()
	for _, want := range []string{
		"~ 2022-07-15  KNVOC-2022-2025 year 1 civil planned",
		"    expenses:KNVOC-2022-2025:civil    30000.00 EUR\n",
		"2023-07-31 * carry-over civil year 1 -> year 2",
		"    assets:KNVOC-2022-2025:funds:y2:civil    1040.13 EUR\n",
		"2025-08-29 * return of unspent funds | to Kultūras ministrija",
		"    equity:KNVOC-2022-2025:returned:minority    48.28 EUR\n",
	} {
		if !strings.Contains(j, want) {
			t.Errorf("journal lacks %q", want)
		}
	}
	if strings.Contains(j, seeds.Seed001) {
		t.Errorf("journal of %s alone also holds %s", seeds.Seed004, seeds.Seed001)
	}
	t.Run("unknown agreement is an error", func(t *testing.T) {
		err := Export(ctx, store, &bytes.Buffer{}, Options{Agreements: []string{"NO-SUCH"}})
		if domain.ErrorCode(err) != domain.ENotFound {
			t.Errorf("Export(NO-SUCH) error = %v (code %q), want code %q", err, domain.ErrorCode(err), domain.ENotFound)
		}
	})

	hl := needHledger(t)
	file := filepath.Join(t.TempDir(), "seed.journal")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[int]map[string][2]domain.Money{ // year -> line -> actual, planned
		1: {"civil": {domain.MustMoney("28959.87"), domain.MustMoney("30000")}, "minority": {domain.MustMoney("18826.66"), domain.MustMoney("19000")}},
		2: {"civil": {domain.MustMoney("30000"), domain.MustMoney("30000")}, "minority": {domain.MustMoney("19000"), domain.MustMoney("19000")}},
		3: {"civil": {domain.MustMoney("29920"), domain.MustMoney("30000")}, "minority": {domain.MustMoney("18951.72"), domain.MustMoney("19000")}},
	}
	years := []domain.YearSpec{
		{Year: 1, From: domain.MustDate("2022-07-15"), To: domain.MustDate("2023-07-14")},
		{Year: 2, From: domain.MustDate("2023-07-15"), To: domain.MustDate("2024-07-14")},
		{Year: 3, From: domain.MustDate("2024-07-15"), To: domain.MustDate("2025-07-14")},
	}
	for _, y := range years {
		t.Run(fmt.Sprintf("hledger budget year %d", y.Year), func(t *testing.T) {
			out := runHledger(t, hl, file, append(BudgetArgs(seeds.Seed004, y), "-O", "csv")...)
			rows := parseBudgetCSV(t, out)
			for line, w := range want[y.Year] {
				got := rows[ExpenseAccount(seeds.Seed004, line)]
				if len(got) != 1 || got[0] != w {
					t.Errorf("line %s: hledger actual, budget = %v, want %v", line, got, w)
				}
			}
		})
	}
}

// needHledger returns the path of hledger, or skips the test (fails it
// under CI=true).
func needHledger(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("hledger")
	if err != nil {
		envtest.Missing(t, "hledger is not on PATH (install it with: apt-get install -y hledger); the journal is not checked by hledger")
	}
	return p
}

func runHledger(t *testing.T, hl, file string, args ...string) string {
	t.Helper()
	out, err := hledgerOut(hl, file, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hledgerOut runs hledger and fails on a non-zero exit or any output on
// stderr (warnings included).
func hledgerOut(hl, file string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, hl, append([]string{"-f", file}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || stderr.Len() > 0 {
		return "", fmt.Errorf("hledger %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// parseBudgetCSV reads hledger's budget CSV: per account, one (actual,
// budget) pair per report period, in column order.
func parseBudgetCSV(t *testing.T, out string) map[string][][2]domain.Money {
	t.Helper()
	m, err := parseBudget(out)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func parseBudget(out string) (map[string][][2]domain.Money, error) {
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("hledger CSV: %v\n%s", err, out)
	}
	if len(recs) == 0 || len(recs[0])%2 != 1 {
		return nil, fmt.Errorf("hledger CSV has an unexpected header:\n%s", out)
	}
	rows := map[string][][2]domain.Money{}
	for _, r := range recs[1:] {
		var pairs [][2]domain.Money
		for k := 1; k+1 < len(r); k += 2 {
			act, err := parseAmount(r[k])
			if err != nil {
				return nil, err
			}
			bud, err := parseAmount(r[k+1])
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, [2]domain.Money{act, bud})
		}
		rows[r[0]] = pairs
	}
	return rows, nil
}

// parseAmount reads "1234.56 EUR", "-10.00 EUR", "0" or "".
func parseAmount(s string) (domain.Money, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), Commodity))
	if s == "" || s == "0" {
		return 0, nil
	}
	neg := strings.HasPrefix(s, "-")
	m, err := domain.ParseMoney(strings.TrimPrefix(s, "-"))
	if err != nil {
		return 0, fmt.Errorf("hledger amount %q: %v", s, err)
	}
	if neg {
		m = -m
	}
	return m, nil
}

// TestRandomAgreementsAgainstHledger records a few hundred random
// agreements, exports them and asks hledger, for every agreement and
// implementation year, for the actual and budget amounts of every line;
// they must equal the ledger's own figures to the cent.
//
// hledger costs about 0.25 s per run here, so the runs are batched:
// agreements whose years are calendar years starting on the same day are
// checked together, several per run, with a report interval
// "every M/D from … to …" whose columns are exactly their implementation
// years; agreements with irregular years get one run per year with the
// documented command (BudgetArgs). With -short fewer agreements are made.
func TestRandomAgreementsAgainstHledger(t *testing.T) {
	hl := needHledger(t)
	n := 200
	if testing.Short() {
		n = 30
	}
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{})
	rng := rand.New(rand.NewPCG(2024, 6))
	gen, err := randomledger.Build(ctx, svc, rng, n)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := load(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]*domain.Agreement{}
	for _, h := range hs {
		state[h.Agg.AgreementNumber()] = h.Agg
	}
	dir := t.TempDir()

	t.Run("whole journal passes hledger check --strict", func(t *testing.T) {
		file := filepath.Join(dir, "all.journal")
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := Export(ctx, store, f, Options{}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if out := runHledger(t, hl, file, "check", "--strict"); out != "" {
			t.Errorf("hledger check printed %q, want nothing", out)
		}
	})
	// hledger's own check that the dated transactions of the file are in
	// date order (hledger check ordereddates; ledger-cli users expect a
	// journal in date order too), across agreements, not only within each.
	t.Run("whole journal is in date order", func(t *testing.T) {
		if out := runHledger(t, hl, filepath.Join(dir, "all.journal"), "check", "ordereddates"); out != "" {
			t.Errorf("hledger check ordereddates printed %q, want nothing", out)
		}
	})

	t.Run("grantee cash balances equal the ledger's cash position", func(t *testing.T) {
		checkCashBalances(t, hl, filepath.Join(dir, "all.journal"), state)
	})
	t.Run("every account family balances to the ledger's figures", func(t *testing.T) {
		file := filepath.Join(dir, "families.journal")
		var buf bytes.Buffer
		if err := Export(ctx, store, &buf, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		// Dated transactions only (periodic rules count only with
		// --budget), every account including those that balance to zero.
		got, err := parseBalances(runHledger(t, hl, file, "bal", "--flat", "-E", "-O", "csv"))
		if err != nil {
			t.Fatal(err)
		}
		want := familyBalances(state)
		checked := map[string]int{}
		for acct, w := range want {
			checked[familyOf(acct)]++
			if g := got[strings.ToLower(acct)]; g != w {
				t.Errorf("%s: hledger balance %s, ledger figures give %s", acct, g, w)
			}
			delete(got, strings.ToLower(acct))
		}
		for acct, g := range got {
			if g != 0 {
				t.Errorf("hledger has account %s with balance %s that the ledger's figures do not explain", acct, g)
			}
		}
		t.Logf("accounts compared by family: %v", checked)
		// The random ledgers must exercise every family with non-zero
		// amounts, or the comparison proves little.
		nonzero := map[string]bool{}
		for acct, w := range want {
			if w != 0 {
				nonzero[familyOf(acct)] = true
			}
		}
		for _, fam := range []string{"expenses", "funds", "returned", "ineligible-due", "ineligible", "recovered",
			"grantee-cash", "disbursed", "grantee-cash-spent", "refunded"} {
			if !nonzero[fam] {
				t.Errorf("no %s account with a non-zero balance in the random ledgers", fam)
			}
		}
	})

	type job struct {
		name    string
		numbers []string
		args    []string
		// check compares the parsed report with the ledger.
		check func(rows map[string][][2]domain.Money) []string
	}
	var jobs []job
	compare := func(a *domain.Agreement, y domain.YearSpec, col int, rows map[string][][2]domain.Money) []string {
		var errs []string
		for _, l := range a.Lines() {
			c := a.Cell(l.Line, y.Year)
			var got [2]domain.Money
			if r, ok := rows[ExpenseAccount(a.AgreementNumber(), l.Line)]; ok {
				if col >= len(r) {
					errs = append(errs, fmt.Sprintf("%s year %d line %s: hledger gave %d periods, want column %d", a.AgreementNumber(), y.Year, l.Line, len(r), col))
					continue
				}
				got = r[col]
			}
			if want := [2]domain.Money{c.Actual, c.Planned}; got != want {
				errs = append(errs, fmt.Sprintf("%s year %d (%s) line %s: hledger actual, budget = %s, %s; ledger says %s, %s",
					a.AgreementNumber(), y.Year, y.Period(), l.Line, got[0], got[1], want[0], want[1]))
			}
		}
		return errs
	}
	groups := map[[2]int][]randomledger.Agreement{}
	var irregular []randomledger.Agreement
	for _, g := range gen {
		if !g.Regular {
			irregular = append(irregular, g)
			continue
		}
		t0 := g.Years[0].From.Time()
		k := [2]int{int(t0.Month()), t0.Day()}
		groups[k] = append(groups[k], g)
	}
	keys := make([][2]int, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]*40+keys[i][1] < keys[j][0]*40+keys[j][1] })
	const batch = 12
	for _, k := range keys {
		g := groups[k]
		sort.Slice(g, func(i, j int) bool { return g[i].Number < g[j].Number }) // P-1 next to P-10
		for s := 0; s < len(g); s += batch {
			part := g[s:min(s+batch, len(g))]
			first, last := part[0].Years[0].From, part[0].Years[len(part[0].Years)-1].To
			var numbers []string
			for _, a := range part {
				numbers = append(numbers, a.Number)
				first = min(first, a.Years[0].From)
				last = max(last, a.Years[len(a.Years)-1].To)
			}
			args := []string{"bal", "--budget", "-p", fmt.Sprintf("every %d/%d from %s to %s", k[0], k[1], first, last.AddDays(1)), "-O", "csv"}
			for _, nmb := range numbers {
				args = append(args, Query(nmb))
			}
			jobs = append(jobs, job{name: fmt.Sprintf("calendar %02d-%02d batch %d", k[0], k[1], s/batch), numbers: numbers, args: args,
				check: func(rows map[string][][2]domain.Money) []string {
					var errs []string
					for _, nmb := range numbers {
						a := state[nmb]
						for _, y := range a.Years() {
							col := y.From.Time().Year() - first.Time().Year()
							errs = append(errs, compare(a, y.YearSpec, col, rows)...)
						}
					}
					return errs
				}})
		}
	}
	for _, g := range irregular {
		a := state[g.Number]
		for _, y := range a.Years() {
			ys := y.YearSpec
			jobs = append(jobs, job{name: fmt.Sprintf("%s year %d", a.AgreementNumber(), y.Year), numbers: []string{a.AgreementNumber()},
				args:  append(BudgetArgs(a.AgreementNumber(), ys), "-O", "csv"),
				check: func(rows map[string][][2]domain.Money) []string { return compare(a, ys, 0, rows) }})
		}
	}
	t.Logf("%d agreements (%d irregular), %d hledger runs", len(gen), len(irregular), len(jobs))

	type outcome struct {
		errs []string
		err  error
	}
	results := make([]outcome, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				jb := jobs[i]
				file := filepath.Join(dir, fmt.Sprintf("job%d.journal", i))
				var buf bytes.Buffer
				if err := Export(ctx, store, &buf, Options{Agreements: jb.numbers}); err != nil {
					results[i].err = err
					continue
				}
				if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
					results[i].err = err
					continue
				}
				out, err := hledgerOut(hl, file, jb.args...)
				if err != nil {
					results[i].err = err
					continue
				}
				rows, err := parseBudget(out)
				if err != nil {
					results[i].err = err
					continue
				}
				results[i].errs = jb.check(rows)
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, jb := range jobs {
		t.Run(jb.name, func(t *testing.T) {
			if results[i].err != nil {
				t.Fatal(results[i].err)
			}
			for _, e := range results[i].errs {
				t.Error(e)
			}
		})
	}
}

// familyBalances gives, from the ledger's own figures, the balance that
// docs/INTEROP.md ("Account names") says each account of the journal's
// dated transactions has, over all dates:
//
//   - expenses:A:L: the actual spending of every year;
//   - assets:A:funds:yN:L: balance + planned = remainder, so
//     carried in - actual - carried over - returned;
//   - equity:A:returned:L: the unspent funds returned (the other side of
//     the funds' minus);
//   - assets:A:ineligible-due:L: ineligible expenditure not yet recovered;
//   - income:A:ineligible:L: minus the ineligible expenditure declared
//     (the other side of the amount due);
//   - assets:A:recovered:L: the money recovered.
func familyBalances(state map[string]*domain.Agreement) map[string]domain.Money {
	want := map[string]domain.Money{}
	for _, a := range state {
		ag := Segment(a.AgreementNumber())
		for _, l := range a.Lines() {
			ln := Segment(l.Line)
			var actual, returned, ineligible, recovered domain.Money
			for _, y := range a.Years() {
				c := a.Cell(l.Line, y.Year)
				actual += c.Actual
				returned += c.Returned
				ineligible += c.Ineligible
				recovered += c.Recovered
				want[fmt.Sprintf("assets:%s:funds:y%d:%s", ag, y.Year, ln)] = c.CarriedIn - c.Actual - c.CarriedOver - c.Returned
			}
			want["expenses:"+ag+":"+ln] = actual
			want["equity:"+ag+":returned:"+ln] = returned
			want["assets:"+ag+":ineligible-due:"+ln] = ineligible - recovered
			want["income:"+ag+":ineligible:"+ln] = -ineligible
			want["assets:"+ag+":recovered:"+ln] = recovered
		}
		// The grantee's cash (issue 14), per year, as adapters/hledger's
		// cash.go documents the accounts, for agreements that record
		// payments.
		if !tracksCash(a) {
			continue
		}
		for _, y := range a.Years() {
			want[fmt.Sprintf("assets:%s:grantee-cash:y%d", ag, y.Year)] = a.Held(y.Year)
			want[fmt.Sprintf("income:%s:disbursed:y%d", ag, y.Year)] = -a.Cash().Disbursed[y.Year]
			want[fmt.Sprintf("equity:%s:grantee-cash-spent:y%d", ag, y.Year)] = a.EligibleSpent(y.Year)
			want[fmt.Sprintf("equity:%s:refunded:y%d", ag, y.Year)] = a.Cash().Refunded[y.Year]
		}
	}
	return want
}

// familyOf names an account's family: "expenses", "funds", "returned",
// "ineligible-due", "ineligible", "recovered", or one of the cash
// families "grantee-cash", "disbursed", "grantee-cash-spent", "refunded".
func familyOf(acct string) string {
	parts := strings.Split(acct, ":")
	if parts[0] == "expenses" {
		return "expenses"
	}
	if len(parts) > 2 {
		return parts[2]
	}
	return acct
}

// parseBalances reads hledger's flat balance CSV ("account","balance"),
// keyed by the account name in lower case (hledger compares account names
// without case). The total row is left out.
func parseBalances(out string) (map[string]domain.Money, error) {
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("hledger CSV: %v\n%s", err, out)
	}
	if len(recs) < 2 || len(recs[0]) != 2 || recs[0][0] != "account" {
		return nil, fmt.Errorf("hledger balance CSV has an unexpected header:\n%.500s", out)
	}
	bal := map[string]domain.Money{}
	for _, r := range recs[1:] {
		if r[0] == "total" {
			continue
		}
		m, err := parseAmount(r[1])
		if err != nil {
			return nil, err
		}
		bal[strings.ToLower(r[0])] = m
	}
	return bal, nil
}
