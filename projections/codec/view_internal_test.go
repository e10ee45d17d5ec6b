package codec

import (
	"reflect"
	"testing"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// TestViewGobMirrorsAgreementView: the stored form of a view has every
// field of projections.AgreementView under the same name and type (the
// aggregate as domain.AgreementState), so a snapshot keeps all of a view,
// and the bytes are those snapshots were written with when the view itself
// was encoded (gob matches fields by name).
func TestViewGobMirrorsAgreementView(t *testing.T) {
	v, g := reflect.TypeFor[projections.AgreementView](), reflect.TypeFor[viewGob]()
	if v.NumField() != g.NumField() {
		t.Fatalf("AgreementView has %d fields, viewGob %d", v.NumField(), g.NumField())
	}
	for i := 0; i < v.NumField(); i++ {
		fv, fg := v.Field(i), g.Field(i)
		want := fv.Type
		if fv.Name == "Agg" {
			want = reflect.TypeFor[*domain.AgreementState]()
		}
		if fv.Name != fg.Name || fg.Type != want {
			t.Errorf("field %d: AgreementView has %s %s, viewGob %s %s (want type %s)", i, fv.Name, fv.Type, fg.Name, fg.Type, want)
		}
	}
}
