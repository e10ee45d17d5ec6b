package flatjson

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestPlain8 compares the eight-byte test of scanString with a byte-by-byte
// one: every byte value in every position, and random words.
func TestPlain8(t *testing.T) {
	slow := func(w [8]byte) bool {
		for _, c := range w {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				return false
			}
		}
		return true
	}
	check := func(w [8]byte) {
		t.Helper()
		if got, want := plain8(binary.LittleEndian.Uint64(w[:])), slow(w); got != want {
			t.Fatalf("plain8(%q) = %v, want %v", w[:], got, want)
		}
	}
	t.Run("one byte changed", func(t *testing.T) {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				w := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
				w[pos] = byte(c)
				check(w)
			}
		}
	})
	t.Run("random words", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 200_000; i++ {
			var w [8]byte
			binary.LittleEndian.PutUint64(w[:], rng.Uint64())
			check(w)
			for k := range w { // and mostly printable ASCII, the common case
				w[k] = byte(0x1e + rng.IntN(0x64))
			}
			check(w)
		}
	})
}
