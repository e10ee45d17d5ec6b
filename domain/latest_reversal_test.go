package domain_test

import (
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// TestLatestSurvivesTheReversalOfAnotherDelivery: for a "latest"
// indicator, two deliveries on the same day leave the later-recorded one
// as the value (docs/commands.md: "the latest delivery's quantity";
// TestDecide's "same day: the later record wins"). Reversing a third,
// older delivery does not touch either, so the value must stay the
// later-recorded one. The state used to recount the year in event-id
// order after a reversal, so the value depended on which of the two ids
// sorted first; each offset below shifts the ids so that both orders
// occur.
func TestLatestSurvivesTheReversalOfAnotherDelivery(t *testing.T) {
	for offset := 0; offset < 8; offset++ {
		f := registered(t)
		for k := 0; k < offset; k++ {
			f.do(domain.AddBudgetLine{Ref: ref, LineSpec: domain.LineSpec{Line: "pad" + string(rune('a'+k))}})
		}
		f.do(indicator("followers", domain.AggLatest))
		f.named("old", deliver("followers", 1, 40, "2023-01-10"))
		f.do(deliver("followers", 1, 150, "2023-03-01"))
		f.do(deliver("followers", 1, 170, "2023-03-01")) // same day, recorded later: the value
		ind := f.a.Indicators()["followers"]
		if got := ind.Value(1); got != 170 {
			t.Fatalf("offset %d: before the reversal value = %d, want 170", offset, got)
		}
		f.do(domain.ReverseDelivery{Ref: ref, Delivery: f.ids["old"], Date: d("2023-04-01")})
		if got := ind.Value(1); got != 170 {
			t.Errorf("offset %d: after reversing the older delivery value = %d, want 170 (the later-recorded of the same day)", offset, got)
		}
	}
}
