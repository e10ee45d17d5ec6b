package httpapi

import (
	"encoding/json"
	"net/url"
	"testing"
)

// Agreement numbers such as 2021.LV/NVOF/MIC/031/10 hold slashes; escaped
// as %2F they stay one path segment.
func TestAgreementNumberWithSlashes(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	const number = "2021.LV/NVOF/MIC/031/10"
	f.register(number, funderA, granteeA)
	status, b, _ := f.do("GET", "/v1/agreements/"+url.PathEscape(number), f.tok["funder"], nil)
	if status != 200 {
		t.Fatalf("got %d %s, want 200", status, b)
	}
	var got AgreementSummary
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Agreement != number {
		t.Errorf("agreement: got %q, want %q", got.Agreement, number)
	}
}
