// Package natsstore owns the NATS JetStream backend of genehost's plugin
// state ('genehost serve --nats URL'): a store.Backend whose plugin state
// lives in JetStream, so that every host connected to the same NATS
// servers (one server or a cluster) shares it. It owns the connection:
// Open dials the servers with the operator's auth options, and Conn and
// JetStream hand the connection to the other capabilities built on it.
//
// # How plugin state maps onto JetStream
//
// Everything genehost creates is named after the plugin (the plugin's
// folder name, escaped by Name: letters, digits and '-' as they are, any
// other byte as '_' and two lowercase hex digits), so hosts serving the
// same plugin directory find the same state:
//
//   - the key-value store of plugin P (^grants {^kv true}) is the KV
//     bucket genehost_kv_<Name(P)> (its stream KV_genehost_kv_<Name(P)>),
//     file storage, history 1, Config.Replicas replicas, atomic batch
//     publish allowed;
//   - the durable stream S of plugin P (^grants {^streams true}) is the
//     JetStream stream genehost_st_<Name(P)>_<Name(S)>, its consumer
//     groups durable consumers, and topics are core NATS subjects under
//     genehost.topic.<Name(P)>.<Name(T)> (both built by the streams
//     capability on the connection this package opens).
//
// A store key is bytes, a KV key is tokens of [-/_=a-zA-Z0-9] joined by
// '.'. A byte key is cut after every '/' into segments, and each segment
// is written as lowercase hex, the segments joined by '.': "d/user/ada"
// is "642f.757365722f.616461". Hex keeps byte order within a segment, and
// a prefix made of whole segments is a subject filter ("d/user/" lists
// "642f.757365722f" and "642f.757365722f.>"), so scans and watches of the
// usual slash-separated prefixes are filtered by the server; the rest of
// a prefix is matched here. Scan reads the matching keys' last values and
// sorts them, so one page costs the whole matching range on NATS (the
// embedded backend seeks): keep scanned ranges small, or use prefixes
// that end at a '/'. Keys are at most MaxKeyBytes bytes (a subject must
// fit a NATS protocol line) and a value at most the server's max_payload
// (1 MiB by default) less the headers.
//
// # Guarantees
//
// Every write returns once JetStream acknowledged it: stored on disk by
// the server, or by a majority of a replicated bucket's peers. Put is a
// plain publish; Delete, CompareAndSwap and Incr read the key's last
// message and write with the expected last sequence of its subject, so a
// concurrent writer (on any host) makes the write retry from the new
// value: none is lost. Batch is one JetStream atomic batch (ABI.md,
// "Key-value store"): every op of it is stored, or none is, and each
// key's first op carries the expected sequence of what was read, so the
// results (whether a deleted key was present) are exact. Watches are
// ordered consumers of the bucket's stream: every change committed after
// Watch returns, by any host, in stream order.
package natsstore
