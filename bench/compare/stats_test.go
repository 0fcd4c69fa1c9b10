package main

import (
	"math"
	"os"
	"strings"
	"testing"
)

func TestSample(t *testing.T) {
	tests := []struct {
		s      sample
		median float64
		text   string
	}{
		{sample{3, 1, 2}, 2, "2.0 (1.0–3.0, 3 runs)"},
		{sample{4, 1, 2, 3}, 2.5, "2.5 (1.0–4.0, 4 runs)"},
		{sample{7.25}, 7.25, "7.2 (1 run)"},
	}
	for _, tt := range tests {
		if got := tt.s.median(); got != tt.median {
			t.Errorf("median(%v) = %v, want %v", tt.s, got, tt.median)
		}
		if got := tt.s.format(1); got != tt.text {
			t.Errorf("format(%v) = %q, want %q", tt.s, got, tt.text)
		}
	}
	if !math.IsNaN(sample{}.median()) || (sample{}).format(1) != "–" {
		t.Error("an empty sample should have no median and print as –")
	}
	if !math.IsNaN(ratio(1, 0)) || ratio(6, 3) != 2 {
		t.Error("ratio")
	}
}

func TestWriteResultsKeepsHandWrittenTextAndOtherBlocks(t *testing.T) {
	path := t.TempDir() + "/results.md"
	if err := writeResults(path, "quick", "Q1"); err != nil {
		t.Fatal(err)
	}
	if err := writeResults(path, "full --only scan", "F1"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "# Benchmark results\n", "# Benchmark results\n\nBy hand.\n", 1)+"\nAnalysis by hand.\n"), 0o644)
	if err := writeResults(path, "quick", "Q2"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	got := string(b)
	for _, want := range []string{"By hand.", "Q2", "F1", "Analysis by hand."} {
		if !strings.Contains(got, want) {
			t.Errorf("results lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Q1") || strings.Count(got, "(quick)") != 2 {
		t.Errorf("the quick block was not replaced in place:\n%s", got)
	}
}
