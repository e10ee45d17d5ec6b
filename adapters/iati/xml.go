package iati

import "encoding/xml"

// The XML shapes below follow the element order of the IATI 2.03 schema
// (iati-activities-schema.xsd); encoding/xml writes fields in order.

type activities struct {
	XMLName    xml.Name       `xml:"iati-activities"`
	Version    string         `xml:"version,attr"`
	Generated  string         `xml:"generated-datetime,attr,omitempty"`
	Activities []iatiActivity `xml:"iati-activity"`
}

type iatiActivity struct {
	Updated       string             `xml:"last-updated-datetime,attr,omitempty"`
	Lang          string             `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Currency      string             `xml:"default-currency,attr"`
	Identifier    string             `xml:"iati-identifier"`
	ReportingOrg  org                `xml:"reporting-org"`
	Title         text               `xml:"title"`
	Descriptions  []description      `xml:"description"`
	Participating []participatingOrg `xml:"participating-org"`
	OtherIDs      []otherID          `xml:"other-identifier"`
	Status        *code              `xml:"activity-status"`
	Dates         []activityDate     `xml:"activity-date"`
	Contacts      []contactInfo      `xml:"contact-info"` // see work.go
	Budgets       []budget           `xml:"budget"`
	Planned       []plannedDisb      `xml:"planned-disbursement"` // see cash.go
	Transactions  []transaction      `xml:"transaction"`
	DocLinks      []documentLink     `xml:"document-link"` // see work.go
	Results       []result           `xml:"result"`
}

type narrative struct {
	Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Text string `xml:",chardata"`
}

type text struct {
	Narratives []narrative `xml:"narrative"`
}

type description struct {
	Type       string      `xml:"type,attr,omitempty"`
	Narratives []narrative `xml:"narrative"`
}

type org struct {
	Ref        string      `xml:"ref,attr"`
	Type       string      `xml:"type,attr"`
	Narratives []narrative `xml:"narrative"`
}

type participatingOrg struct {
	Ref        string      `xml:"ref,attr,omitempty"`
	Type       string      `xml:"type,attr,omitempty"`
	Role       string      `xml:"role,attr"`
	Narratives []narrative `xml:"narrative"`
}

type otherID struct {
	Ref  string `xml:"ref,attr"`
	Type string `xml:"type,attr"`
}

type code struct {
	Code string `xml:"code,attr"`
}

type activityDate struct {
	Type string `xml:"type,attr"`
	Date string `xml:"iso-date,attr"`
}

type isoDate struct {
	Date string `xml:"iso-date,attr"`
}

type value struct {
	ValueDate string `xml:"value-date,attr"`
	Amount    string `xml:",chardata"`
}

type budget struct {
	Type   string  `xml:"type,attr"`
	Status string  `xml:"status,attr"`
	Start  isoDate `xml:"period-start"`
	End    isoDate `xml:"period-end"`
	Value  value   `xml:"value"`
}

type txOrg struct {
	Ref        string      `xml:"ref,attr,omitempty"`
	Narratives []narrative `xml:"narrative"`
}

type transaction struct {
	Ref         string  `xml:"ref,attr,omitempty"`
	Type        *code   `xml:"transaction-type"`
	Date        isoDate `xml:"transaction-date"`
	Value       value   `xml:"value"`
	Description *text   `xml:"description"`
	Provider    *txOrg  `xml:"provider-org"`
	Receiver    *txOrg  `xml:"receiver-org"`
}

type result struct {
	Type              string      `xml:"type,attr"`
	AggregationStatus string      `xml:"aggregation-status,attr,omitempty"`
	Title             text        `xml:"title"`
	Indicators        []indicator `xml:"indicator"`
}

type indicator struct {
	Measure     string            `xml:"measure,attr"`
	Ascending   string            `xml:"ascending,attr,omitempty"`
	Title       text              `xml:"title"`
	Description *text             `xml:"description"`
	Baselines   []baseline        `xml:"baseline"` // see work.go
	Periods     []indicatorPeriod `xml:"period"`
}

type indicatorPeriod struct {
	Start  isoDate      `xml:"period-start"`
	End    isoDate      `xml:"period-end"`
	Target *resultValue `xml:"target"`
	Actual *resultValue `xml:"actual"`
}

type resultValue struct {
	Value   string `xml:"value,attr"`
	Comment *text  `xml:"comment"`
}
