package document

import "fmt"

// WithState returns doc with a last section naming the Merkle-log state
// the report was computed from (issue 11: every report names its state),
// so that text, Markdown, HTML and the XLSX summary sheet carry it: the
// log's size and root hash, a warning when the log was not checked first,
// and the signed checkpoint when there is one (else how to check it
// later). The command line and the server both add it with this.
func WithState(doc Document, size int64, root string, verified bool, signed string) Document {
	l := doc.Lang
	s := Section{Heading: L(l, "state.heading"), Fields: []Field{
		{Label: L(l, "state.events"), Value: Text(fmt.Sprint(size))},
		{Label: L(l, "state.root"), Value: Text(root)},
	}}
	if !verified {
		s.Notes = append(s.Notes, L(l, "state.unverified"))
	}
	if signed != "" {
		s.Notes = append(s.Notes, L(l, "state.signed")+"\n"+signed)
	} else {
		s.Notes = append(s.Notes, L(l, "state.check"))
	}
	doc.Sections = append(append([]Section(nil), doc.Sections...), s)
	return doc
}
