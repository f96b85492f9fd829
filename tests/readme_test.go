package tests

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/store/natsstore/natstest"
	"github.com/genehost/genehost/tests/e2e"
)

// tourStep is one command of the README tour and the output lines it
// shows ("# => ..." under it).
type tourStep struct {
	line   string
	expect []string
}

// readTour extracts the commands of the README's five-minute tour: the
// lines of the sh code blocks between <!-- tour --> and <!-- /tour -->.
func readTour(t *testing.T) []tourStep { return readSteps(t, "tour") }

// readSteps extracts the commands of the sh code blocks between
// <!-- NAME --> and <!-- /NAME --> in the README, each with the output
// lines shown under it.
func readSteps(t *testing.T, name string) []tourStep {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	_, rest, found := strings.Cut(string(b), "<!-- "+name+" -->")
	require.True(t, found, "README.md has no <!-- %s --> marker", name)
	tour, _, found := strings.Cut(rest, "<!-- /"+name+" -->")
	require.True(t, found, "README.md has no <!-- /%s --> marker", name)
	var steps []tourStep
	inBlock := false
	sc := bufio.NewScanner(strings.NewReader(tour))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "```sh":
			inBlock = true
		case l == "```":
			inBlock = false
		case !inBlock || l == "":
		case strings.HasPrefix(l, "# => "):
			require.NotEmpty(t, steps, "an expected output before any command")
			steps[len(steps)-1].expect = append(steps[len(steps)-1].expect, strings.TrimPrefix(l, "# => "))
		case strings.HasPrefix(l, "#"):
		default:
			steps = append(steps, tourStep{line: l})
		}
	}
	return steps
}

// TestReadmeTour runs every line of the README tour, in order, as a
// newcomer would paste it: go install into a temporary GOBIN, serve in the
// background (on a free port instead of 8080, and a test socket and TCP
// port instead of the defaults), the rest with sh in a copy of the
// repository's plugin directory, checking the outputs the README shows.
func TestReadmeTour(t *testing.T) {
	steps := readTour(t)
	require.Greater(t, len(steps), 10)
	work := t.TempDir()
	e2e.CopyTree(t, filepath.Dir(copyPlugins(t)), work, nil)
	tourBin := filepath.Join(t.TempDir(), "bin")
	runtime := e2e.ShortDir(t)
	dataHome := t.TempDir()

	var d *e2e.Daemon
	subst := func(l string) string {
		if d != nil {
			l = strings.ReplaceAll(l, "http://127.0.0.1:8080", d.HTTP)
			l = strings.ReplaceAll(l, "tcp://127.0.0.1:7470", d.TCP)
		}
		return l
	}
	for _, st := range steps {
		t.Logf("$ %s", st.line)
		switch {
		case strings.HasPrefix(st.line, "go install "):
			cmd := exec.Command("sh", "-c", st.line)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "GOBIN="+tourBin)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
		case strings.HasPrefix(st.line, "genehost serve"):
			args := strings.Fields(strings.ReplaceAll(st.line, "127.0.0.1:8080", "127.0.0.1:0"))[2:]
			d = serve(t, serveOpts{
				plugins: filepath.Join(work, "plugins"), data: filepath.Join(dataHome, "genehost"),
				runtime: runtime, http: strings.Contains(st.line, "--http"), args: args,
				bin: filepath.Join(tourBin, "genehost"),
			})
		default:
			require.NotNil(t, d, "the tour runs a client command before genehost serve")
			cmd := exec.Command("sh", "-c", subst(st.line))
			cmd.Dir = work
			cmd.Env = append(env(runtime), "PATH="+tourBin+string(os.PathListSeparator)+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
				"XDG_DATA_HOME="+dataHome)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			require.NoError(t, cmd.Run(), "%s\nstdout: %s\nstderr: %s", st.line, out.String(), errb.String())
			if len(st.expect) > 0 {
				got := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
				assert.Equal(t, st.expect, got, "output of %s", st.line)
			}
		}
	}
	require.NotNil(t, d)
	d.Stop()
}

// TestReadmeExplorer runs the README's explorer lines (<!-- explorer -->):
// genehost serve with --ui on a free port instead of 7480, then each
// command with sh against it, checking the outputs the README shows.
func TestReadmeExplorer(t *testing.T) {
	steps := readSteps(t, "explorer")
	require.GreaterOrEqual(t, len(steps), 3)
	require.True(t, strings.HasPrefix(steps[0].line, "genehost serve "), "the explorer lines start with genehost serve")
	const readmeUI = "127.0.0.1:7480"
	args := strings.Fields(strings.ReplaceAll(steps[0].line, readmeUI, "127.0.0.1:0"))[2:]
	url, _ := serveUI(t, args...)
	url = strings.TrimSuffix(url, "/")
	work := t.TempDir()
	for _, st := range steps[1:] {
		t.Logf("$ %s", st.line)
		require.False(t, strings.HasPrefix(st.line, "genehost serve"), "one serve line")
		cmd := exec.Command("sh", "-c", strings.ReplaceAll(st.line, "http://"+readmeUI, url))
		cmd.Dir = work
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		require.NoError(t, cmd.Run(), "%s\nstdout: %s\nstderr: %s", st.line, out.String(), errb.String())
		if len(st.expect) > 0 {
			assert.Equal(t, st.expect, strings.Split(strings.TrimRight(out.String(), "\n"), "\n"), "output of %s", st.line)
		}
	}
	// The document the last line downloaded is the AsyncAPI export.
	b, err := os.ReadFile(filepath.Join(work, "kv.asyncapi.json"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"asyncapi": "3.0.0"`)
}

// TestReadmeMoreThanOneMachine runs the README's "More than one machine"
// lines (<!-- nats -->): two hosts on one JetStream server started in the
// test (on a free port instead of 4222, and free TCP ports instead of
// 7470 and 7471), a write through the first and a read through the second.
func TestReadmeMoreThanOneMachine(t *testing.T) {
	steps := readSteps(t, "nats")
	require.GreaterOrEqual(t, len(steps), 4)
	const readmeNATS = "nats://127.0.0.1:4222"
	srv := natstest.Start(t)
	var hosts []*e2e.Daemon
	subst := map[string]string{}
	for _, st := range steps {
		t.Logf("$ %s", st.line)
		line := strings.ReplaceAll(st.line, readmeNATS, srv.URL())
		if strings.HasPrefix(line, "genehost serve ") {
			args := strings.Fields(line)[2:]
			o := serveOpts{args: args}
			readmeTCP := "tcp://127.0.0.1:7470"
			for i, a := range args {
				if strings.HasPrefix(a, "tcp://") {
					readmeTCP, args[i] = a, "tcp://127.0.0.1:0"
					o.noListen = true
				}
			}
			d := serve(t, o)
			subst[readmeTCP] = d.TCP
			hosts = append(hosts, d)
			continue
		}
		require.Len(t, hosts, 2, "the README starts two hosts before its calls")
		for from, to := range subst {
			line = strings.ReplaceAll(line, from, to)
		}
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = t.TempDir()
		cmd.Env = append(env(e2e.ShortDir(t)), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		require.NoError(t, cmd.Run(), "%s\nstdout: %s\nstderr: %s", line, out.String(), errb.String())
		assert.Equal(t, st.expect, strings.Split(strings.TrimRight(out.String(), "\n"), "\n"), "output of %s", st.line)
	}
	for _, d := range hosts {
		require.True(t, d.WaitLog("plugin state in NATS JetStream", time.Second), "%s", d.Log.String())
	}
}
