package gene

import (
	"encoding/json"
	"io"
	"strconv"
	"testing"
)

// The benchmark documents are built deterministically in code, once as Gene
// values and once as the equivalent encoding/json input (maps and slices),
// so the two encoders write the same information.

func benchSmallGene() Value {
	return node(Symbol("request"), nil, Props{
		{"id", Int(42)},
		{"method", String("get")},
		{"path", String("/users/17")},
		{"headers", PropMap(Prop{"accept", String("application/json")})},
		{"body", List(Int(1), Float(2.5), String("x"))},
	})
}

func benchSmallJSON() any {
	return map[string]any{
		"head":    "request",
		"id":      42,
		"method":  "get",
		"path":    "/users/17",
		"headers": map[string]any{"accept": "application/json"},
		"body":    []any{1, 2.5, "x"},
	}
}

// benchRecords is the number of records that makes the large document about
// 1 MB of Gene text.
const benchRecords = 5900

func benchLargeGene() Value {
	rows := make([]Value, benchRecords)
	for i := range rows {
		n := int64(i)
		rows[i] = PropMap(
			Prop{"id", Int(n)},
			Prop{"name", String("user-" + strconv.Itoa(i))},
			Prop{"email", String("user" + strconv.Itoa(i) + "@example.com")},
			Prop{"score", Float(float64(i%1000) * 1.25)},
			Prop{"active", Bool(i%3 != 0)},
			Prop{"tags", List(String("alpha"), String("beta"), Int(n%7))},
			Prop{"note", String("line one\nline \"two\" of record " + strconv.Itoa(i))},
			Prop{"balance", Int(n*7919 - 1000000)},
		)
	}
	return List(rows...)
}

func benchLargeJSON() any {
	rows := make([]any, benchRecords)
	for i := range rows {
		rows[i] = map[string]any{
			"id":      i,
			"name":    "user-" + strconv.Itoa(i),
			"email":   "user" + strconv.Itoa(i) + "@example.com",
			"score":   float64(i%1000) * 1.25,
			"active":  i%3 != 0,
			"tags":    []any{"alpha", "beta", i % 7},
			"note":    "line one\nline \"two\" of record " + strconv.Itoa(i),
			"balance": i*7919 - 1000000,
		}
	}
	return rows
}

func benchEncode(b *testing.B, v Value) {
	e := NewEncoder(io.Discard, WriteOptions{})
	if err := e.Encode(v); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(AppendText(nil, v)) + 1))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := e.Encode(v); err != nil {
			b.Fatal(err)
		}
	}
}

func benchJSON(b *testing.B, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := json.Marshal(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteSmall(b *testing.B)      { benchEncode(b, benchSmallGene()) }
func BenchmarkWriteLarge(b *testing.B)      { benchEncode(b, benchLargeGene()) }
func BenchmarkJSONEncodeSmall(b *testing.B) { benchJSON(b, benchSmallJSON()) }
func BenchmarkJSONEncodeLarge(b *testing.B) { benchJSON(b, benchLargeJSON()) }

// BenchmarkWriteJSONViewLarge measures AppendJSON on the large document.
func BenchmarkWriteJSONViewLarge(b *testing.B) {
	v := benchLargeGene()
	buf := AppendJSON(nil, v)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf = AppendJSON(buf[:0], v)
	}
}

func TestBenchDocumentsAreComparable(t *testing.T) {
	small := len(AppendText(nil, benchSmallGene()))
	if small < 80 || small > 140 {
		t.Fatalf("small document is %d bytes, want about 100", small)
	}
	large := len(AppendText(nil, benchLargeGene()))
	if large < 900_000 || large > 1_200_000 {
		t.Fatalf("large document is %d bytes, want about 1 MB", large)
	}
}
