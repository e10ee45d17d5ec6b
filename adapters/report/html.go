package report

import (
	"github.com/grantledger/grantledger/app/document"
	"html/template"
	"io"
	"sync"
)

// page is parsed on first use, not at start-up: most runs of the program
// never write HTML (issue 17, start-up).
var page = sync.OnceValue(pageTemplate)

func pageTemplate() *template.Template {
	return template.Must(template.New("page").Funcs(template.FuncMap{
		"fmt":     func(c document.Cell, l document.Lang) string { return c.Format(l) },
		"numeric": numericColumns,
	}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11pt; margin: 2em; color: #000; }
h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 1.5em; border-bottom: 1px solid #888; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dt { font-weight: bold; } dd { margin: 0; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #888; padding: .2em .5em; vertical-align: top; }
th { background: #eee; } td.n { text-align: right; white-space: nowrap; }
tfoot td { font-weight: bold; }
@media print { body { margin: 0; } h2 { page-break-after: avoid; } table { page-break-inside: auto; } tr { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{$l := .Lang}}{{range $si, $s := .Sections}}<section>
{{if .Heading}}<h2 id="h{{$si}}">{{.Heading}}</h2>{{end}}
{{if .Fields}}<dl>{{range .Fields}}<dt>{{.Label}}</dt><dd>{{fmt .Value $l}}</dd>{{end}}</dl>{{end}}
{{range .Tables}}{{$num := numeric .}}<table{{if and .Title (eq .Title $s.Heading)}} aria-labelledby="h{{$si}}"{{end}}>
{{if and .Title (ne .Title $s.Heading)}}<caption>{{.Title}}</caption>{{end}}
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if index $num $i}} class="n"{{end}}>{{fmt $c $l}}</td>{{end}}</tr>
{{end}}</tbody>
{{if .Footer}}<tfoot>{{range .Footer}}<tr>{{range $i, $c := .}}<td{{if index $num $i}} class="n"{{end}}>{{fmt $c $l}}</td>{{end}}</tr>{{end}}</tfoot>{{end}}
</table>
{{end}}{{if .Notes}}<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</section>
{{end}}</body>
</html>
`))
}

// WriteHTML renders the document as a self-contained printable HTML page.
func WriteHTML(w io.Writer, d document.Document) error { return page().Execute(w, d) }
