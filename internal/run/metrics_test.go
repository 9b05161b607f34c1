package run

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/metric"
)

func TestRecordJSONRoundTrip(t *testing.T) {
	r := Record{Kind: metric.KindUpdate, Step: 12, Time: 1.5, Values: map[string]float64{
		metric.Loss: math.NaN(), metric.MeanQ: 1.25, metric.MaxQ: 3, metric.Epsilon: 0.1}}
	b, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"update","step":12,"time":1.500,"epsilon":0.1,"loss":null,"max_q":3,"mean_q":1.25}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back Record
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if back.Step != 12 || back.Kind != metric.KindUpdate || !math.IsNaN(back.Values[metric.Loss]) || back.Values[metric.MeanQ] != 1.25 {
		t.Fatalf("round trip: %+v", back)
	}
	if _, err := (Record{Kind: "x", Values: map[string]float64{"step": 1}}).MarshalJSON(); err == nil {
		t.Fatal("reserved key accepted")
	}
}

func fakeClock(start time.Time) (func() time.Time, func(time.Duration)) {
	now := start
	return func() time.Time { return now }, func(d time.Duration) { now = now.Add(d) }
}

func TestMetricsWriterFlushesPeriodically(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	w, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	now, advance := fakeClock(time.Unix(1000, 0))
	w.Now, w.lastFlush = now, now()
	w.Write(Record{Kind: metric.KindEpisode, Step: 1, Values: map[string]float64{metric.Return: 10}})
	if recs, _ := ReadMetrics(path); len(recs) != 0 {
		t.Fatalf("record on disk before the flush interval: %v", recs)
	}
	advance(3 * time.Second)
	w.Write(Record{Kind: metric.KindEpisode, Step: 2, Values: map[string]float64{metric.Return: 20}})
	recs, err := ReadMetrics(path)
	if err != nil || len(recs) != 2 || recs[1].Time != 1003 {
		t.Fatalf("after interval: %v, %v", recs, err)
	}
	w.Write(Record{Kind: metric.KindEpisode, Step: 3})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if recs, _ := ReadMetrics(path); len(recs) != 3 {
		t.Fatalf("after Close: %d records, want 3", len(recs))
	}
}

func TestMetricsTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	good := `{"kind":"episode","step":1,"return":5}` + "\n" + `{"kind":"episode","step":2,"return":6}` + "\n"
	os.WriteFile(path, []byte(good+`{"kind":"epis`), 0o644)

	recs, err := ReadMetrics(path)
	if err != nil || len(recs) != 2 {
		t.Fatalf("torn last line: %d records, err %v; want 2, nil", len(recs), err)
	}
	// Appending after a crash must not glue the new record onto the torn one.
	w, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(Record{Kind: metric.KindEpisode, Step: 3})
	w.Close()
	recs, err = ReadMetrics(path)
	if err != nil || len(recs) != 3 || recs[2].Step != 3 {
		t.Fatalf("after append: %v, %v", recs, err)
	}
}

func TestReadMetricsErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadMetrics(filepath.Join(dir, "none.jsonl")); err == nil || !strings.Contains(err.Error(), "no metrics") {
		t.Fatalf("missing file: %v", err)
	}
	path := filepath.Join(dir, MetricsFile)
	os.WriteFile(path, []byte(`{"kind":"episode","step":1}`+"\nnot json\n"+`{"kind":"episode","step":2}`+"\n"), 0o644)
	if _, err := ReadMetrics(path); err == nil || !strings.Contains(err.Error(), MetricsFile+":2") {
		t.Fatalf("bad middle line: err = %v, want one naming line 2", err)
	}
	os.WriteFile(path, []byte(`{"step":1}`+"\n"), 0o644)
	if _, err := ReadMetrics(path); err == nil || !strings.Contains(err.Error(), "kind") {
		t.Fatalf("missing kind: err = %v", err)
	}
}

func TestTruncateMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	w, _ := OpenMetrics(path)
	for s := int64(1); s <= 10; s++ {
		w.Write(Record{Kind: metric.KindEpisode, Step: s * 100})
	}
	w.Close()
	if err := TruncateMetrics(path, 500); err != nil {
		t.Fatal(err)
	}
	recs, _ := ReadMetrics(path)
	if len(recs) != 5 || recs[4].Step != 500 {
		t.Fatalf("after truncate: %v", recs)
	}
	if err := TruncateMetrics(filepath.Join(t.TempDir(), "none"), 1); err != nil {
		t.Fatalf("missing file: %v", err)
	}
}
