// Package reliability holds the harnesses that prove grantledger keeps
// every acknowledged euro: crash tests against a writer process, many
// concurrent writers, retries after time-outs, malformed input and
// tampering with the embedded store's file. The tests are the product; this
// file only builds the commands they send. See docs/RELIABILITY.md.
package reliability

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Agreement is the number of the agreement every harness writes to. One
// agreement means one stream, so every writer contends for the same
// optimistic-concurrency revision: the hardest case.
const Agreement = "REL-2024-0001"

// Lines are the budget lines of the test agreement.
var Lines = []string{"civil", "minority"}

// Years is how many implementation years the test agreement has; year n
// runs from 1 July 2023+n-1 to 30 June of the following year.
const Years = 2

// Actor is the acting person written into every test command.
const Actor = "reliability@test.invalid"

// YearPeriod returns the dates of implementation year n (1-based).
func YearPeriod(n int) domain.Period {
	from := domain.MustDate(fmt.Sprintf("%04d-07-01", 2022+n))
	to := domain.MustDate(fmt.Sprintf("%04d-06-30", 2023+n))
	return domain.Period{From: from, To: to}
}

// Setup returns the commands that register the test agreement and plan
// 30 000,00 on every line in every year. Their command ids are fixed
// (derived from the agreement number), so sending them again is a no-op.
func Setup() []domain.Envelope {
	ns := domain.AgreementID(Agreement)
	reg := domain.RegisterAgreement{
		Ref:     domain.Ref{Agreement: Agreement},
		Kind:    domain.KindDelegation,
		Title:   "Reliability test agreement",
		Grantee: "Test NGO",
		Funder:  "Test ministry",
		Period:  domain.Period{From: YearPeriod(1).From, To: YearPeriod(Years).To},
	}
	for n := 1; n <= Years; n++ {
		p := YearPeriod(n)
		reg.Years = append(reg.Years, domain.YearSpec{Year: n, From: p.From, To: p.To})
	}
	for _, l := range Lines {
		reg.Lines = append(reg.Lines, domain.LineSpec{Line: l, Name: "Line " + l})
	}
	out := []domain.Envelope{domain.NewEnvelope(uuid.NewSHA1(ns, []byte("register")), Actor, "", reg)}
	for _, l := range Lines {
		for n := 1; n <= Years; n++ {
			id := uuid.NewSHA1(ns, []byte(fmt.Sprintf("plan/%s/%d", l, n)))
			out = append(out, domain.NewEnvelope(id, Actor, "", domain.PlanBudget{
				Ref: domain.Ref{Agreement: Agreement}, Line: l, Year: n, Amount: domain.MustMoney("30000.00"),
			}))
		}
	}
	return out
}

// Spending is one spending command a harness sends, with the figures it
// expects to find in the ledger once the command is acknowledged.
type Spending struct {
	ID     uuid.UUID
	Line   string
	Year   int
	Amount domain.Money
}

// Envelope returns the record_spending command for s. The document
// reference carries the command id so that every spending is unique.
func (s Spending) Envelope() domain.Envelope {
	p := YearPeriod(s.Year)
	return domain.NewEnvelope(s.ID, Actor, "", domain.RecordSpending{
		Ref:      domain.Ref{Agreement: Agreement},
		Line:     s.Line,
		Year:     s.Year,
		Amount:   s.Amount,
		Date:     p.From.AddDays(int(s.Amount % 300)),
		Document: "DOC-" + s.ID.String(),
	})
}

// NewSpending returns the k-th spending of writer w: a deterministic id,
// line, year and an amount between 0,01 and 99,99 euro, so that every run
// of a harness with the same seed sends the same commands.
func NewSpending(seed uint64, w, k int) Spending {
	ns := uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("grantledger-reliability/%d", seed)))
	id := uuid.NewSHA1(ns, []byte(fmt.Sprintf("%d/%d", w, k)))
	h := uint64(id[0])<<24 | uint64(id[1])<<16 | uint64(id[2])<<8 | uint64(id[3])
	return Spending{
		ID:     id,
		Line:   Lines[(w+k)%len(Lines)],
		Year:   1 + (k/7)%Years,
		Amount: domain.Money(1 + h%9999),
	}
}
