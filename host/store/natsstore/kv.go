package natsstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
)

// kvStore is one plugin's bucket as a plugin.Store.
type kvStore struct {
	b      *Backend
	kv     jetstream.KeyValue
	st     jetstream.Stream
	bucket string
	subj   string // "$KV.<bucket>."
}

var (
	_ plugin.Store        = (*kvStore)(nil)
	_ plugin.StoreWatcher = (*kvStore)(nil)
)

// EncodeKey is the KV key of a store key (see the package doc).
func EncodeKey(key []byte) (string, error) {
	switch {
	case len(key) == 0:
		return "", fmt.Errorf("%w: empty key", store.ErrKey)
	case len(key) > MaxKeyBytes:
		return "", fmt.Errorf("%w: %d bytes, more than the %d the NATS backend allows", store.ErrKey, len(key), MaxKeyBytes)
	}
	var sb strings.Builder
	sb.Grow(3 * len(key))
	for i, seg := range segments(key) {
		if i > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(hex.EncodeToString(seg))
	}
	return sb.String(), nil
}

// DecodeKey is the store key of a KV key written by EncodeKey.
func DecodeKey(k string) ([]byte, error) {
	var out []byte
	for tok := range strings.SplitSeq(k, ".") {
		b, err := hex.DecodeString(tok)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("natsstore: KV key %q was not written by genehost", k)
		}
		out = append(out, b...)
	}
	return out, nil
}

// segments cuts key after every '/'.
func segments(key []byte) [][]byte {
	var segs [][]byte
	for len(key) > 0 {
		i := bytes.IndexByte(key, '/')
		if i < 0 {
			return append(segs, key)
		}
		segs = append(segs, key[:i+1])
		key = key[i+1:]
	}
	return segs
}

// filters are the KV key filters that cover every key starting with
// prefix: its whole segments, then anything.
func filters(prefix []byte) []string {
	segs := segments(prefix)
	if len(segs) > 0 && !bytes.HasSuffix(segs[len(segs)-1], []byte("/")) {
		segs = segs[:len(segs)-1] // a partial segment is matched here
	}
	if len(segs) == 0 {
		return []string{">"}
	}
	toks := make([]string, len(segs))
	for i, s := range segs {
		toks[i] = hex.EncodeToString(s)
	}
	whole := strings.Join(toks, ".")
	if len(segments(prefix)) == len(segs) && len(prefix) > 0 && prefix[len(prefix)-1] == '/' {
		return []string{whole, whole + ".>"}
	}
	return []string{whole + ".>"}
}

func (s *kvStore) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.b.cfg.Timeout)
}

// wrap names the bucket in a NATS error and maps not-found.
func (s *kvStore) wrap(op string, key []byte, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("%w: %w", plugin.ErrNotFound, store.ErrNotFound)
	}
	if key == nil {
		return fmt.Errorf("natsstore: %s in bucket %s: %w", op, s.bucket, err)
	}
	return fmt.Errorf("natsstore: %s %q in bucket %s: %w", op, key, s.bucket, err)
}

func (s *kvStore) Get(key []byte) ([]byte, error) {
	k, err := EncodeKey(key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.ctx()
	defer cancel()
	e, err := s.kv.Get(ctx, k)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	return bytes.Clone(e.Value()), nil
}

func (s *kvStore) Put(key, val []byte) error {
	k, err := EncodeKey(key)
	if err != nil {
		return err
	}
	ctx, cancel := s.ctx()
	defer cancel()
	_, err = s.kv.Put(ctx, k, val)
	return s.wrap("put", key, err)
}

// last is what a key holds now: the sequence of its subject's last
// message (0: never written), whether that is a value (not a delete), and
// the value.
type last struct {
	seq     uint64
	present bool
	val     []byte
}

func (s *kvStore) last(k string) (last, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	m, err := s.st.GetLastMsgForSubject(ctx, s.subj+k)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return last{}, nil
	}
	if err != nil {
		return last{}, err
	}
	op := m.Header.Get("KV-Operation")
	return last{seq: m.Sequence, present: op != "DEL" && op != "PURGE", val: m.Data}, nil
}

// write stores val under k, or deletes k when del, if k's last message
// is still seq. applied is false when another writer got there first.
func (s *kvStore) write(k string, val []byte, del bool, seq uint64) (applied bool, err error) {
	m := nats.NewMsg(s.subj + k)
	m.Data = val
	if del {
		m.Header.Set("KV-Operation", "DEL")
	}
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(seq, 10))
	ctx, cancel := s.ctx()
	defer cancel()
	_, err = s.b.js.PublishMsg(ctx, m)
	if conflict(err) {
		return false, nil
	}
	return err == nil, err
}

// conflict reports a failed expected-sequence check.
func conflict(err error) bool {
	var ae *jetstream.APIError
	return errors.As(err, &ae) && (ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

func (s *kvStore) Delete(key []byte) (bool, error) {
	k, err := EncodeKey(key)
	if err != nil {
		return false, err
	}
	for {
		l, err := s.last(k)
		if err != nil || !l.present {
			return false, s.wrap("delete", key, err)
		}
		ok, err := s.write(k, nil, true, l.seq)
		if err != nil || ok {
			return ok, s.wrap("delete", key, err)
		}
	}
}

func (s *kvStore) CompareAndSwap(key, expect, next []byte) (bool, []byte, error) {
	k, err := EncodeKey(key)
	if err != nil {
		return false, nil, err
	}
	for {
		l, err := s.last(k)
		if err != nil {
			return false, nil, s.wrap("compare-and-swap", key, err)
		}
		if l.present != (expect != nil) || (l.present && !bytes.Equal(l.val, expect)) {
			if !l.present {
				return false, nil, nil
			}
			return false, bytes.Clone(l.val), nil
		}
		if next == nil && !l.present {
			return true, nil, nil // delete of an absent key: nothing to write
		}
		ok, err := s.write(k, next, next == nil, l.seq)
		if err != nil || ok {
			return ok, nil, s.wrap("compare-and-swap", key, err)
		}
	}
}

func (s *kvStore) Incr(key []byte, by int64) (int64, error) {
	k, err := EncodeKey(key)
	if err != nil {
		return 0, err
	}
	for {
		l, err := s.last(k)
		if err != nil {
			return 0, s.wrap("incr", key, err)
		}
		n, err := store.AddInt(key, l.val, l.present, by)
		if err != nil {
			return 0, err
		}
		ok, err := s.write(k, gene.AppendBinaryDoc(nil, gene.Int(n)), false, l.seq)
		if err != nil {
			return 0, s.wrap("incr", key, err)
		}
		if ok {
			return n, nil
		}
	}
}

// entries reads the last value of every key starting with prefix,
// sorted by key.
func (s *kvStore) entries(prefix []byte) ([]plugin.Change, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*s.b.cfg.Timeout)
	defer cancel()
	w, err := s.kv.WatchFiltered(ctx, filters(prefix), jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	var out []plugin.Change
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("the watcher stopped")
			}
			if e == nil { // every key read
				slices.SortFunc(out, func(a, b plugin.Change) int { return bytes.Compare(a.Key, b.Key) })
				return out, nil
			}
			k, err := DecodeKey(e.Key())
			if err != nil || !bytes.HasPrefix(k, prefix) {
				continue
			}
			out = append(out, plugin.Change{Key: k, Value: bytes.Clone(e.Value())})
		}
	}
}

func (s *kvStore) Scan(prefix, after []byte, limit int, fn func(k, v []byte) bool) error {
	es, err := s.entries(prefix)
	if err != nil {
		return s.wrap("scan", prefix, err)
	}
	n := 0
	for _, e := range es {
		if after != nil && bytes.Compare(e.Key, after) <= 0 {
			continue
		}
		if limit > 0 && n == limit {
			break
		}
		n++
		if !fn(e.Key, e.Value) {
			break
		}
	}
	return nil
}

// Reset deletes every key, one delete each, so watches see them.
func (s *kvStore) Reset() error {
	es, err := s.entries(nil)
	if err != nil {
		return s.wrap("reset", nil, err)
	}
	for _, e := range es {
		if _, err := s.Delete(e.Key); err != nil {
			return err
		}
	}
	return nil
}

// maxBatch is the most ops one atomic batch may hold (the server's
// default limit).
const maxBatch = 1000

// Batch implements plugin.Store as one JetStream atomic batch: every op
// is stored or none is. It reads each key's last message first and the
// first op on each key expects that sequence, so the whole batch retries
// when another writer changed one of its keys meanwhile.
func (s *kvStore) Batch(ops []plugin.StoreOp) ([]bool, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	if len(ops) > maxBatch {
		return nil, fmt.Errorf("natsstore: a batch of %d operations; the NATS backend takes at most %d at once", len(ops), maxBatch)
	}
	keys := make([]string, len(ops))
	for i, o := range ops {
		k, err := EncodeKey(o.Key)
		if err != nil {
			return nil, fmt.Errorf("operation %d: %w", i, err)
		}
		keys[i] = k
	}
	for {
		done, ok, err := s.tryBatch(ops, keys)
		if err != nil || ok {
			return done, err
		}
	}
}

func (s *kvStore) tryBatch(ops []plugin.StoreOp, keys []string) ([]bool, bool, error) {
	state := map[string]last{}
	for _, k := range keys {
		if _, ok := state[k]; ok {
			continue
		}
		l, err := s.last(k)
		if err != nil {
			return nil, false, s.wrap("batch", nil, err)
		}
		state[k] = l
	}
	expected := map[string]bool{}
	present := map[string]bool{}
	for k, l := range state {
		present[k] = l.present
	}
	id := rand.Text()
	done := make([]bool, len(ops))
	ctx, cancel := s.ctx()
	defer cancel()
	for i, o := range ops {
		k := keys[i]
		m := nats.NewMsg(s.subj + k)
		m.Header.Set("Nats-Batch-Id", id)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if !expected[k] {
			expected[k] = true
			m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(state[k].seq, 10))
		}
		if o.Delete {
			m.Header.Set("KV-Operation", "DEL")
			done[i] = present[k]
			present[k] = false
		} else {
			m.Data = o.Value
			done[i] = true
			present[k] = true
		}
		if i < len(ops)-1 {
			if err := s.b.nc.PublishMsg(m); err != nil {
				return nil, false, s.wrap("batch", nil, err)
			}
			continue
		}
		m.Header.Set("Nats-Batch-Commit", "1")
		r, err := s.b.nc.RequestMsgWithContext(ctx, m)
		if err != nil {
			return nil, false, s.wrap("batch", nil, err)
		}
		if err := pubAckError(r); conflict(err) {
			return nil, false, nil
		} else if err != nil {
			return nil, false, s.wrap("batch", nil, err)
		}
	}
	return done, true, nil
}

// pubAckError is the error a JetStream publish reply carries, if any.
func pubAckError(r *nats.Msg) error {
	var ack struct {
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(r.Data, &ack); err != nil {
		return fmt.Errorf("unreadable publish acknowledgement %q: %w", r.Data, err)
	}
	if ack.Error != nil {
		return ack.Error
	}
	return nil
}

// Watch implements plugin.StoreWatcher with an ordered consumer of the
// bucket's stream, from the changes after now.
func (s *kvStore) Watch(prefix []byte, wake func()) (plugin.StoreWatch, error) {
	ctx, cancel := context.WithCancel(context.Background())
	w, err := s.kv.WatchFiltered(ctx, filters(prefix), jetstream.UpdatesOnly())
	if err != nil {
		cancel()
		return nil, s.wrap("watch", prefix, err)
	}
	var wg sync.WaitGroup
	q := store.NewQueue(prefix, wake, func() {
		cancel()
		_ = w.Stop() // ends Updates; the error only says it was stopped already
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					continue
				}
				k, err := DecodeKey(e.Key())
				if err != nil {
					continue
				}
				c := plugin.Change{Key: k}
				if e.Operation() == jetstream.KeyValuePut {
					c.Value = bytes.Clone(e.Value())
				} else {
					c.Deleted = true
				}
				q.Offer(c)
			}
		}
	}()
	return q, nil
}
