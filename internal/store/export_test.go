package store

// WithHook returns opts with a SaveSnapshot stage hook (tests only).
func WithHook(opts Options, hook func(stage string)) Options {
	opts.hook = hook
	return opts
}

// WithMaxVersion returns opts that stop migrating at version v (tests only).
func WithMaxVersion(opts Options, v int) Options {
	opts.maxVersion = v
	return opts
}

// Normalize exposes normalize: reads return snapshots in this form.
var Normalize = normalize

// PreparedPending reports whether a state read ahead by PrepareSave waits
// for the site's next save (tests only).
func PreparedPending(s Store, site string) bool {
	_, ok := prepared.Load(preparedKey{s.(*sqlStore), site})
	return ok
}

// WithoutDigests returns opts whose saves load the whole current state,
// never the stored digests (tests only).
func WithoutDigests(opts Options) Options {
	opts.noDigests = true
	return opts
}
