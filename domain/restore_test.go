package domain_test

import (
	"reflect"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// Issue 13, item 4: an Agreement's state is changed only by Apply and by
// RestoreAgreement, so none of its fields may be reached from outside the
// package.
func TestAgreementStateIsUnexported(t *testing.T) {
	typ := reflect.TypeFor[domain.Agreement]()
	for i := 0; i < typ.NumField(); i++ {
		if f := typ.Field(i); f.IsExported() {
			t.Errorf("domain.Agreement.%s is exported: code outside domain could change the state without Apply", f.Name)
		}
	}
}

// RestoreAgreement(a.State()) gives back the state Apply built, and
// AgreementState holds every field of the state (one field for each of
// Agreement's, but the overflow check's cache).
func TestRestoreAgreementRoundTrip(t *testing.T) {
	f := registered(t)
	closedYear1(f)
	f.do(spend(civil, 2, "900", "2023-08-05"))
	f.do(giveBack(civil, 2, "100"))
	got, err := domain.RestoreAgreement(f.a.State())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.State(), f.a.State()) {
		t.Errorf("restored state differs:\n got %+v\nwant %+v", got.State(), f.a.State())
	}
	if n, m := reflect.TypeFor[domain.AgreementState]().NumField(), reflect.TypeFor[domain.Agreement]().NumField()-1; n != m {
		t.Errorf("AgreementState has %d fields, Agreement %d besides its cache", n, m)
	}
}
