package wire

import "testing"

var benchLine = []byte(`{"type":"record_spending","command_id":"0b0e4a1c-7b0a-4c51-9a49-0d8e8b8c5d01","actor":"a","data":{"agreement":"KNVOC-2022-2025","line":"civil","year":1,"amount":"28 959,87","date":"15.08.2022.","document":"INV-1"}}`)

// BenchmarkDecodeLine is one line of an apply file read as apply and the
// server read it: DecodeEnvelope, then DecodeCommand (decoding, the scan
// of the data for a key given twice, the rules).
func BenchmarkDecodeLine(b *testing.B) {
	for b.Loop() {
		env, err := DecodeEnvelope(benchLine)
		if err == nil {
			_, err = DecodeCommand(env)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanData is the scan of the same line's data for a key given
// twice, which DecodeCommand runs on data that DecodeEnvelope has already
// scanned as part of the envelope (docs/PERFORMANCE.md).
func BenchmarkScanData(b *testing.B) {
	env, err := DecodeEnvelope(benchLine)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := checkDuplicateKeys(env.Data); err != nil {
			b.Fatal(err)
		}
	}
}
