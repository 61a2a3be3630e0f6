package qrs

// CloseIdleConnections closes the client's idle keep-alive connections. Call
// it when done with a client: a server shutting down gracefully waits for
// connections that were dialled but never used.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }
