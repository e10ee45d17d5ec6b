package report

import (
	"io"

	"github.com/grantledger/grantledger/app/document"
)

// Files writes report documents as downloads (the web pages' web.Files):
// XLSX, and CSV in a dialect ("" or machine, or excel).
type Files struct{}

// WriteXLSX is WriteXLSX.
func (Files) WriteXLSX(w io.Writer, doc document.Document) error { return WriteXLSX(w, doc) }

// WriteCSV is WriteCSVDialect.
func (Files) WriteCSV(w io.Writer, doc document.Document, dialect string) error {
	return WriteCSVDialect(w, doc, dialect)
}
