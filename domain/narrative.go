package domain

import "fmt"

// Narratives (issue 15): the free text of a summary, "Apraksts un
// vērtējums" (description and assessment) and "Cita informācija" (other
// information), as seed 004's Kopsavilkums has them, recorded as events
// per implementation year or for the whole period (year 0). A later text
// of the same year and field replaces the earlier one in reports; every
// version stays in the ledger.

// TypeNarrativeRecorded is the stored name of NarrativeRecorded.
const TypeNarrativeRecorded = "NarrativeRecorded"

// CmdRecordNarrative is the command type of RecordNarrative.
const CmdRecordNarrative = "record_narrative"

// Narrative fields.
const (
	NarrativeDescription = "description" // Apraksts un vērtējums
	NarrativeOther       = "other"       // Cita informācija
)

// NarrativeRecorded is a summary's text for a year (0: the whole period).
type NarrativeRecorded struct {
	Year  int    `json:"year"`
	Field string `json:"field"`
	Text  string `json:"text"`
}

func (NarrativeRecorded) EventType() string { return TypeNarrativeRecorded }

// RecordNarrative records a summary's text.
type RecordNarrative struct {
	Ref
	Year  int    `json:"year"`
	Field string `json:"field"`
	Text  string `json:"text"`
}

func (RecordNarrative) CommandType() string { return CmdRecordNarrative }

// NarrativeKey addresses a narrative: a year (0: the whole period) and a field.
type NarrativeKey struct {
	Year  int
	Field string
}

// Narrative returns the text in force for a year (0: the whole period)
// and field, "" when none was recorded.
func (a *Agreement) Narrative(year int, field string) string {
	return a.work.Narratives[NarrativeKey{year, field}]
}

func (a *Agreement) decideNarrative(c RecordNarrative) ([]Event, error) {
	if c.Year != 0 && a.Year(c.Year) == nil {
		return nil, a.noYear(c.Year)
	}
	if a.Narrative(c.Year, c.Field) == c.Text {
		return nil, rule("narrative-changes-nothing", fmt.Sprintf("the %s of year %d of %s already reads so", c.Field, c.Year, a.reg.Number), nil)
	}
	return []Event{NarrativeRecorded{Year: c.Year, Field: c.Field, Text: c.Text}}, nil
}
