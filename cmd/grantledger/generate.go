package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// The data set of 'grantledger generate' (docs/PERFORMANCE.md): agreements
// shaped like real delegations, each with three implementation years, two
// budget lines and ten spendings per line and year.
const (
	genYears            = 3
	genLines            = 2
	genSpendingsPerCell = 10
	// genPerAgreement is the number of commands per agreement: one
	// registration, one plan per cell and the spendings.
	genPerAgreement = 1 + genYears*genLines + genYears*genLines*genSpendingsPerCell
)

func cmdGenerate(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(flagOutput{w: a.stderr, lang: a.lang})
	about := fmt.Sprintf(`
Writes a JSONL file of commands for 'grantledger apply' shaped like real
delegations: N agreements, each with %d implementation years, %d budget lines
and %d spendings per line and year (%d commands per agreement; 1 000
agreements are %d commands). The same --seed gives the same file, byte for
byte, command ids included, so runs can be compared. It writes nothing to a
ledger. docs/PERFORMANCE.md uses it for the whole-process figures.`,
		genYears, genLines, genSpendingsPerCell, genPerAgreement, 1000*genPerAgreement)
	fs.Usage = func() {
		fmt.Fprint(a.stderr, tr(a.lang, "Usage: grantledger %s [flags] %s", "generate", "")+"\n\n"+trText(a.lang, strings.TrimSpace(about))+"\n\n"+tr(a.lang, "Flags:")+"\n")
		printFlags(a.stderr, fs, a.lang)
	}
	n := fs.Int("agreements", 1000, "number of agreements (1 to 1 000 000)")
	seed := fs.Uint64("seed", 1, "seed of the generator")
	out := fs.String("out", "", "write to this file (default standard output)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("generate takes no arguments, got %q", fs.Arg(0))
	}
	if *n < 1 || *n > 1_000_000 {
		return usagef("--agreements must be from 1 to 1 000 000, got %d", *n)
	}
	return writeOut(a, *out, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		if err := generate(ctx, bw, *n, *seed); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// generate writes the data set's commands for n agreements. Amounts are
// whole cents drawn from the seeded generator: each cell is planned between
// 5 000,00 and 60 000,00, and its ten spendings add up to between 70 % and
// 105 % of the plan (so some cells end with a remainder, a few overspent).
func generate(ctx context.Context, w io.Writer, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x67656e6572617465))
	newID := func() uuid.UUID {
		var b [16]byte
		for i := 0; i < 16; i += 8 {
			v := rng.Uint64()
			for j := 0; j < 8; j++ {
				b[i+j] = byte(v >> (8 * j))
			}
		}
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		return uuid.UUID(b)
	}
	enc := json.NewEncoder(w)
	emit := func(actor string, cmd domain.Command) error {
		return enc.Encode(domain.NewEnvelope(newID(), actor, "", cmd))
	}
	funders := []string{"Kultūras ministrija", "Sabiedrības integrācijas fonds", "Labklājības ministrija", "Izglītības un zinātnes ministrija"}
	lines := [genLines]string{"civil", "minority"}
	for i := 0; i < n; i++ {
		if i%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		first := 2022 + i%3
		ref := domain.Ref{Agreement: fmt.Sprintf("GEN/%d/%06d", first, i+1)}
		kind := domain.KindGrant
		if i%4 == 0 {
			kind = domain.KindDelegation
		}
		years := make([]domain.YearSpec, genYears)
		for y := range years {
			years[y] = domain.YearSpec{Year: y + 1, From: genDate(first+y, 1, 1), To: genDate(first+y, 12, 31)}
		}
		officer := fmt.Sprintf("officer%d@ministry.example.lv", i%7)
		if err := emit(officer, domain.RegisterAgreement{Ref: ref, Kind: kind,
			Title:   fmt.Sprintf("Atbalsts pilsoniskajai sabiedrībai %d", i+1),
			Grantee: fmt.Sprintf("Biedrība %d", i%997+1), Funder: funders[i%len(funders)],
			Period: domain.Period{From: years[0].From, To: years[genYears-1].To}, Years: years,
			Lines: []domain.LineSpec{{Line: lines[0], Name: "Pilsoniskā sabiedrība"}, {Line: lines[1], Name: "Mazākumtautības"}}}); err != nil {
			return err
		}
		var plans [genYears][genLines]domain.Money
		for y := 0; y < genYears; y++ {
			for l, line := range lines {
				plans[y][l] = domain.Money(500_000 + rng.Int64N(5_500_001))
				if err := emit(officer, domain.PlanBudget{Ref: ref, Line: line, Year: y + 1, Amount: plans[y][l]}); err != nil {
					return err
				}
			}
		}
		accountant := fmt.Sprintf("accountant@ngo%d.example.lv", i%997+1)
		for y := 0; y < genYears; y++ {
			for l, line := range lines {
				total := (int64(plans[y][l])*(70+rng.Int64N(35)) + 99) / 100 // rounded up: never under 70 %
				for s, amount := range genSplit(rng, total, genSpendingsPerCell) {
					day := genDate(first+y, 1, 1).Time().AddDate(0, 0, rng.IntN(365))
					if err := emit(accountant, domain.RecordSpending{Ref: ref, Line: line, Year: y + 1, Amount: domain.Money(amount),
						Date: domain.DateOf(day), Document: fmt.Sprintf("INV-%d-%06d-%d%d%02d", first+y, i+1, y+1, l+1, s+1),
						Description: "Pakalpojumi un materiāli"}); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// genSplit splits total cents into k positive parts that add up to it.
func genSplit(rng *rand.Rand, total int64, k int) []int64 {
	parts := make([]int64, k)
	weights := make([]int64, k)
	var sum int64
	for i := range weights {
		weights[i] = 1 + rng.Int64N(100)
		sum += weights[i]
	}
	left := total - int64(k) // every part at least one cent
	var given int64
	for i := range parts {
		parts[i] = 1 + left*weights[i]/sum
		given += parts[i]
	}
	parts[k-1] += total - given
	return parts
}

func genDate(y, m, d int) domain.Date { return domain.NewDate(y, time.Month(m), d) }
