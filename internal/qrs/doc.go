// Package qrs is a client for the Qlik Sense Enterprise on Windows Repository Service (QRS) REST API.
//
// It speaks to QRS directly on port 4242 with the site's exported client certificate
// (client.pem, client_key.pem, root.pem) or through a virtual proxy with a JWT or a header
// authentication virtual proxy. Every request carries a fresh xrfkey in both the query and the
// X-Qlik-Xrfkey header, because QRS rejects requests without a matching pair.
//
// Failures come back as *Error values whose Hint field says what the user can change: the
// certificate, the CA file, the server name, the rights of the identity used, or the network path.
// Large lists (license allocations, users, apps, app objects) are decoded element by element with
// Stream so that a site with 100 000 allocations does not need the whole body in memory.
//
// The types mirror the QRS JSON field names exactly; dates use Time, which accepts the ISO forms
// QRS emits ("Z", "+00:00" and zone-less) and keeps the 1753-01-01 "never" sentinel visible through
// IsNever.
package qrs
