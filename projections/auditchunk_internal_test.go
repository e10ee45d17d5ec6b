package projections

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// chunkRows are audit rows with every field set in some row: amounts and
// none, names repeated and not, times apart by seconds and nanoseconds.
func chunkRows() []AuditEntry {
	at := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	var rows []AuditEntry
	for i := 0; i < 18; i++ {
		e := AuditEntry{AuditRow: AuditRow{Position: domain.Position{Commit: uint64(100 + 7*i), Prepare: uint64(100 + 7*i + i%2)},
			Stream: "agreement-" + string(rune('a'+i%3)), Agreement: "A/" + string(rune('a'+i%3)), Revision: uint64(i / 3), Type: []string{"SpendingRecorded", "BudgetPlanned", "YearClosed"}[i%3],
			RecordedAt: at.Add(time.Duration(i) * 1500 * time.Millisecond), Actor: "actor@example.lv", CommandID: uuid.New(),
			Reason: strings.Repeat("r", i%2), Hash: strings.Repeat("0123456789abcdef", 4)[i%16:] + strings.Repeat("f", i%16), Line: "L" + string(rune('0'+i%4)), Year: i % 3}}
		if i%3 != 2 {
			e.Value, e.HasValue = domain.Money(int64(i)*12345-50000), true
		}
		rows = append(rows, e)
	}
	return rows
}

// TestDecodeAuditSectionNeverPanics damages an audit chunk byte by byte
// and in length: decoding either fails with an error or gives rows, and
// never panics or allocates past what the bytes can hold.
func TestDecodeAuditSectionNeverPanics(t *testing.T) {
	rows := chunkRows()
	for _, hash := range []string{"", "not hex"} { // raw and packed hashes
		if hash != "" {
			rows[3].Hash = hash
		}
		sec, ok := AppendAuditChunk(nil, rows)
		if !ok {
			t.Fatal("AppendAuditChunk refused rows in UTC")
		}
		if got, err := DecodeAuditSection(sec, len(rows)); err != nil || !reflect.DeepEqual(got, rows) {
			t.Fatalf("hash %q: decode of an undamaged chunk: %v, rows equal %v", hash, err, reflect.DeepEqual(got, rows))
		}
		for i := range sec {
			for _, v := range []byte{0, 1, 0x7f, 0x80, 0xff, sec[i] ^ 0x40} {
				bad := bytes.Clone(sec)
				bad[i] = v
				DecodeAuditSection(bad, len(rows))
				scanChunk(bad, len(rows), func([]string) bool { return true }, nil, func(*AuditEntry) bool { return true })
				walkChunks(bad, len(rows), nil, func([]byte, int, int64, int64) {})
			}
			DecodeAuditSection(sec[:i], len(rows))
		}
		if _, err := DecodeAuditSection(sec, len(rows)+1); err == nil {
			t.Error("decode with one row more expected than held: no error")
		}
	}
}

// TestAuditChunkRefusesLocalTimes: a chunk holds times as UTC seconds, so
// a row in another zone, which it could not give back as folded, is
// refused, and the ledger keeps that block as structs.
func TestAuditChunkRefusesLocalTimes(t *testing.T) {
	rows := chunkRows()
	rows[5].RecordedAt = rows[5].RecordedAt.In(time.FixedZone("Riga", 7200))
	if _, ok := AppendAuditChunk(nil, rows); ok {
		t.Fatal("AppendAuditChunk took a time outside UTC")
	}
	var tr auditTrail
	for i := 0; i < AuditBlock; i++ {
		tr.add(rows[i%len(rows)])
	}
	if len(tr.segs) != 1 || tr.segs[0].plain == nil || tr.heldRows() != AuditBlock {
		t.Fatalf("a full block with a local time: %d segs, %d rows held as structs; want the block kept as structs", len(tr.segs), tr.heldRows())
	}
	if _, ok := tr.sections(); ok {
		t.Error("sections of a trail with a local time: ok, want refused (the codec then writes rows)")
	}
}

// TestAuditSectionsMergeSmallChunks: past MaxAuditChunks chunks beyond
// one per AuditBlock rows, State's sections merge runs of small chunks
// (one per snapshot of a restored ledger) and keep a chunk of more than
// two blocks (a whole trail, as the program before issue 17 wrote it)
// as it is; the rows stay the same and in order.
func TestAuditSectionsMergeSmallChunks(t *testing.T) {
	base := chunkRows()
	row := func(i int) AuditEntry {
		e := base[i%len(base)]
		e.Position = domain.Position{Commit: uint64(1 + i), Prepare: uint64(1 + i)}
		return e
	}
	var all []AuditEntry
	giantRows := 2*AuditBlock + 1
	for i := 0; i < giantRows; i++ {
		all = append(all, row(i))
	}
	giant, _ := AppendAuditChunk(nil, all)
	var tr auditTrail
	if err := tr.addSection(AuditSection{Data: giant, Rows: giantRows, Chunks: 1}); err != nil {
		t.Fatal(err)
	}
	small := MaxAuditChunks + 8
	for k := 0; k < small; k++ {
		rows := make([]AuditEntry, 10)
		for i := range rows {
			rows[i] = row(len(all))
			all = append(all, rows[i])
		}
		b, _ := AppendAuditChunk(nil, rows)
		if err := tr.addSection(AuditSection{Data: b, Rows: 10, Chunks: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 7; i++ { // the open block
		tr.add(row(len(all)))
		all = append(all, row(len(all)))
	}
	secs, ok := tr.sections()
	if !ok {
		t.Fatal("sections refused a trail in UTC")
	}
	if len(secs) != 2 || !bytes.Equal(secs[0].Data, giant) || secs[1].Rows != 10*small+7 || secs[1].Chunks != 1 {
		t.Fatalf("sections: %d, want 2 (the large chunk kept, the %d small ones and the open block merged into one of %d rows)", len(secs), small, 10*small+7)
	}
	var got []AuditEntry
	for _, s := range secs {
		rows, err := DecodeAuditSection(s.Data, s.Rows)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rows...)
	}
	if !reflect.DeepEqual(got, all) {
		t.Error("the merged sections hold other rows than the trail")
	}
	// Below the limit nothing is merged: the chunks are written as held.
	var few auditTrail
	for k := 0; k < 3; k++ {
		b, _ := AppendAuditChunk(nil, all[k*10:k*10+10])
		if err := few.addSection(AuditSection{Data: b, Rows: 10, Chunks: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if secs, _ := few.sections(); len(secs) != 3 {
		t.Errorf("3 small chunks: %d sections, want the 3 as held", len(secs))
	}
}
