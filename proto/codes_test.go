package proto

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCodesMatchProtocolDoc checks the table in PROTOCOL.md section 10
// against codeTable, row by row, so the two cannot drift.
func TestCodesMatchProtocolDoc(t *testing.T) {
	doc, err := os.ReadFile("../PROTOCOL.md")
	require.NoError(t, err)
	row := regexp.MustCompile(`(?m)^\| (\d+) \| ([A-Z_]+) \| (link|transport|both) \| (.+) \|$`)
	rows := row.FindAllStringSubmatch(string(doc), -1)
	require.Len(t, rows, len(codeTable), "PROTOCOL.md shows a different number of codes")
	for i, r := range rows {
		n, err := strconv.Atoi(r[1])
		require.NoError(t, err)
		c := Code(n)
		assert.Equal(t, i, n, "codes are numbered in order")
		assert.Equal(t, r[2], c.String(), "code %d name", n)
		assert.Equal(t, r[3], c.Scope().String(), "code %d scope", n)
		assert.Equal(t, r[4], c.Meaning(), "code %d meaning", n)
	}
}

func TestCodeNames(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Codes() {
		name := c.String()
		require.False(t, seen[name], "duplicate name %s", name)
		seen[name] = true
		back, ok := ParseCode(name)
		require.True(t, ok)
		require.Equal(t, c, back)
		require.NotEmpty(t, c.Meaning())
	}
	assert.Equal(t, "FLOW_CONTROL", CodeFlowControl.String())
	assert.Equal(t, "CODE(999)", Code(999).String())
	assert.False(t, Code(999).Known())
	assert.Equal(t, ScopeBoth, Code(999).Scope())
	assert.Empty(t, Code(999).Meaning())
	_, ok := ParseCode("NOPE")
	assert.False(t, ok)
}

func TestErrorMatching(t *testing.T) {
	err := fmt.Errorf("link 3: %w", Errorf(CodeFlowControl, "value %d over", 65))
	assert.Equal(t, "link 3: proto: FLOW_CONTROL: value 65 over", err.Error())
	assert.ErrorIs(t, err, &Error{Code: CodeFlowControl})
	assert.ErrorIs(t, err, &Error{Code: CodeFlowControl, Msg: "value 65 over"})
	assert.NotErrorIs(t, err, &Error{Code: CodeFlowControl, Msg: "other"})
	assert.NotErrorIs(t, err, &Error{Code: CodeCalm})
	assert.Equal(t, CodeFlowControl, CodeOf(err))
	assert.Equal(t, CodeNoError, CodeOf(nil))
	assert.Equal(t, CodeInternal, CodeOf(errors.New("boom")))
	assert.Equal(t, "proto: SHUTDOWN", (&Error{Code: CodeShutdown}).Error())
}
