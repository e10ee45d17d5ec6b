package flatjson

import (
	"testing"
	"time"
)

func TestUTCTimeAgreesWithTimeParse(t *testing.T) {
	for _, s := range []string{"2024-01-31T12:00:00Z", "2024-02-29T23:59:59.5Z", "2022-07-15T09:00:00.123456789Z", "2023-12-31T00:00:00.000001Z",
		"2023-02-29T00:00:00Z", "2024-01-31T24:00:00Z", "2024-01-31T12:00:00+02:00", "2024-01-31T12:00:00.Z", "2024-01-31 12:00:00Z"} {
		want, werr := time.Parse(time.RFC3339Nano, s)
		f := Field{Val: []byte(s), Str: true}
		got, ok := f.UTCTime()
		if ok && (werr != nil || !got.Equal(want) || got.Location() != want.Location()) {
			t.Errorf("UTCTime(%q) = %v, time.Parse = %v (%v)", s, got, want, werr)
		}
		if !ok && werr == nil && s[len(s)-1] == 'Z' {
			t.Errorf("UTCTime(%q) refused a time time.Parse reads as %v", s, want)
		}
	}
}
