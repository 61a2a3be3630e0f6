// Package license is licmon's domain model of a Qlik Sense site's licensing:
// the site license, the per-type counters of /qrs/license/accesstypeoverview,
// per-user allocations, users, authoring activity and analyzer-capacity use.
//
// The package is pure: it knows nothing of HTTP (the QRS client and collector
// map QRS JSON into these types) or of storage (package store persists them).
// The only logic here is small and deterministic, such as Reconstruct, which
// derives an honest lower-bound history from a single snapshot.
package license
