package worker

import (
	"bufio"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestReadCappedLine(t *testing.T) {
	long := strings.Repeat("y", MaxStderrLine+10)
	tests := []struct {
		in   string
		want []string
	}{
		{"a\n\nb\n", []string{"a", "", "b"}},
		{"a\nno newline at the end", []string{"a", "no newline at the end"}},
		{long + "\nnext\n", []string{long[:MaxStderrLine] + " ... (10 bytes cut)", "next"}},
		{"", nil},
	}
	for _, tt := range tests {
		br := bufio.NewReaderSize(strings.NewReader(tt.in), MaxStderrLine)
		var got []string
		for {
			line, err := readCappedLine(br)
			if err != nil && line == "" {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
			got = append(got, line)
			if err != nil {
				break
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%.20q: got %d lines %.60q, want %.60q", tt.in, len(got), got, tt.want)
		}
	}
}
