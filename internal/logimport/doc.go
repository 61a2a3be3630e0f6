// Package logimport imports Qlik Sense logs into the history store: it
// walks folders and .zip files (the archived-logs layout
// <node>/<Service>/<Audit|System|Trace>/*.log, live Log folders with their
// active *.txt, Script folders, a Log Collector zip), reads the service logs
// with internal/qlog in parallel across files, diagnoses script logs with
// internal/scriptlog, merges sessions and denials into per-user-day
// aggregates and saves them through store.LogStore.
//
// Import is resumable and incremental: a file whose size and checksum match
// the record of an earlier import is skipped. Every service log is a stream
// named by its first two lines (qlog.Identity), which the active .txt and
// the rolled .log it becomes share; the store records how far each stream
// was read, only the longest copy of a stream is read and only from there
// (qlog.Reader.Resume), and a batch adds its aggregates in the transaction
// that moves its streams' offsets, refused if another import moved them
// first. So a file read again (an active .txt that grew, its rolled .log
// copy, an import cut short, two imports at once) counts no row twice.
// Nothing is ever written outside the store: zip members are streamed, and a
// member with an odd path (.., absolute, drive letters) is reported.
package logimport
