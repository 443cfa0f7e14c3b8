package areaio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/civicgrid/civicgrid"
)

// featureJSON is one area as written by Encode; the field order is the order
// a person reading the file expects.
type featureJSON struct {
	Type       string            `json:"type"`
	Properties propertiesJSON    `json:"properties"`
	Geometry   *geojson.Geometry `json:"geometry"`
}

type propertiesJSON struct {
	Level     civicgrid.Level `json:"level"`
	Code      string          `json:"code"`
	Name      string          `json:"name"`
	Parent    string          `json:"parent,omitempty"`
	Number    string          `json:"number,omitempty"`
	Workers   *[]workerJSON   `json:"workers,omitempty"` // a pointer, so an empty list is kept (it clears a grid's workers)
	ValidFrom string          `json:"valid_from,omitempty"`
}

type workerJSON struct {
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
}

// Encode writes areas as a GeoJSON FeatureCollection in the format Decode
// reads, one feature per line, streaming so a large export never sits in
// memory as one value. valid_from is written in China Standard Time (UTC+8).
// Phones are written as given: mask them first when the reader may not see
// them.
func Encode(w io.Writer, areas []civicgrid.Area) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // names like "A&B社区" stay readable
	if _, err := bw.WriteString(`{"type":"FeatureCollection","features":[`); err != nil {
		return err
	}
	for i := range areas {
		buf.Reset()
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		if err := enc.Encode(toFeatureJSON(&areas[i])); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // the encoder's newline; the comma goes first
		if _, err := bw.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("\n]}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

func toFeatureJSON(a *civicgrid.Area) featureJSON {
	f := featureJSON{
		Type: "Feature",
		Properties: propertiesJSON{
			Level:  a.Level,
			Code:   a.Code,
			Name:   a.Name,
			Parent: a.ParentCode,
			Number: a.Number,
		},
	}
	if a.Workers != nil {
		ws := make([]workerJSON, len(a.Workers))
		for i, w := range a.Workers {
			ws[i] = workerJSON{Name: w.Name, Phone: w.Phone}
		}
		f.Properties.Workers = &ws
	}
	if !a.ValidFrom.IsZero() {
		// In China Standard Time, so a start at local midnight reads as one.
		f.Properties.ValidFrom = a.ValidFrom.In(chinaStandardTime).Format(time.RFC3339Nano)
	}
	if a.Geometry != nil {
		f.Geometry = geojson.NewGeometry(a.Geometry)
	}
	return f
}
