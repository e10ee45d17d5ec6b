package projections

import "github.com/grantledger/grantledger/domain"

// applyToken adds a row to the audit trail for an event of the token
// stream: who created or revoked which token, and when. The row names the
// token by id, holder, role and scope; the token's hash is never copied
// into it, so no report shows it.
func (l *Ledger) applyToken(e Event) {
	row := AuditEntry{AuditRow: AuditRow{Position: e.Position, Stream: e.Stream, Revision: e.Revision, Type: e.Type,
		RecordedAt: e.Meta.RecordedAt, Actor: e.Meta.Actor, CommandID: e.Meta.CommandID, Reason: e.Meta.Reason, Hash: e.Meta.Hash}}
	switch ev := e.Data.(type) {
	case domain.TokenCreated:
		scope := ""
		switch {
		case ev.Funder != "":
			scope = ", funder " + ev.Funder
		case ev.Grantee != "":
			scope = ", grantee " + ev.Grantee
		}
		row.Reason = "token " + ev.ID + " for " + ev.Name + " (" + ev.Role + scope + ")"
		if !ev.Expires.IsZero() {
			row.Reason += ", expires " + ev.Expires.UTC().Format("2006-01-02T15:04:05Z")
		}
		if ev.MovedFrom != "" {
			row.Reason += ", moved in from " + ev.MovedFrom
		}
	case domain.TokenRevoked:
		row.Reason = "token " + ev.ID + " revoked"
		if e.Meta.Reason != "" {
			row.Reason += ": " + e.Meta.Reason
		}
	default:
		l.skipped++
		return
	}
	l.applied++
	l.audit.add(row)
}
