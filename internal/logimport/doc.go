// Package logimport imports Qlik Sense logs into the history store: it
// walks folders and .zip files (the archived-logs layout
// <node>/<Service>/<Audit|System|Trace>/*.log, live Log folders with their
// active *.txt, Script folders, a Log Collector zip), reads the service logs
// with internal/qlog in parallel across files, diagnoses script logs with
// internal/scriptlog, and saves the events through store.LogStore.
//
// Import is resumable and incremental: a file whose size and checksum match
// the record of an earlier import is skipped, and every saved event is keyed
// by its log identity, so a file read again (an active .txt that grew, its
// rolled .log copy, an import cut short) changes nothing it already gave.
// Nothing is ever written outside the store: zip members are streamed, and a
// member with an odd path (.., absolute, drive letters) is reported.
package logimport
