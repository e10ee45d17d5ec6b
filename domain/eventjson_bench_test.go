package domain

import (
	"encoding/json"
	"testing"
)

var benchCmd = RecordSpending{Ref: Ref{Agreement: "GEN/2022/000001"}, Line: "civil", Year: 2, Amount: 32430, Date: 19000, Document: "INV-2024-000008-2104", Description: "Pakalpojumi un materiāli"}
var benchEv = SpendingRecorded{Line: "civil", Year: 2, Amount: 32430, Date: 19000, Document: "INV-2024-000008-2104", Description: "Pakalpojumi un materiāli"}

// The table writers against encoding/json for a spending and its command.
func BenchmarkCmdTable(b *testing.B) {
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		buf, _ = AppendCommandJSON(buf[:0], benchCmd)
	}
}
func BenchmarkCmdMarshal(b *testing.B) {
	for b.Loop() {
		json.Marshal(benchCmd)
	}
}
func BenchmarkEvTable(b *testing.B) {
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		buf, _ = AppendEventJSON(buf[:0], benchEv)
	}
}
func BenchmarkEvMarshal(b *testing.B) {
	for b.Loop() {
		json.Marshal(benchEv)
	}
}
