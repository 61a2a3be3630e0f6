package collect

import (
	"bytes"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// The slim records decode themselves from qrs.Stream's token stream
// (UnmarshalJSONFrom): the fields they keep are read, every other value is
// skipped without being decoded, and no reflection runs per element. With
// encoding/json each element was scanned twice (once to find its end, once
// to decode it) and its skipped fields were still parsed; a 100k-user site
// sends ≈ 350 MB of lists, so this is most of a collection's CPU time.
//
// Names are matched exactly, as QRS writes them (camelCase); a field the
// QRS does not send, or sends as null, keeps its zero value, as with
// encoding/json.

// UnmarshalJSONFrom decodes a /qrs/user/full element.
func (u *slimUser) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return object(dec, func(name []byte) (err error) {
		switch string(name) {
		case "id":
			u.ID, err = str(dec)
		case "createdDate":
			err = u.CreatedDate.UnmarshalJSONFrom(dec)
		case "userId":
			u.UserID, err = str(dec)
		case "userDirectory":
			u.UserDirectory, err = str(dec)
		case "name":
			u.Name, err = str(dec)
		case "roles":
			err = array(dec, func() error {
				r, err := str(dec)
				u.Roles = append(u.Roles, r)
				return err
			})
		case "inactive":
			u.Inactive, err = boolean(dec)
		case "removedExternally":
			u.RemovedExternally, err = boolean(dec)
		case "blacklisted":
			u.Blacklisted, err = boolean(dec)
		case "tags":
			err = array(dec, func() error {
				var t tag
				err := object(dec, func(name []byte) (err error) {
					if string(name) == "name" {
						t.Name, err = str(dec)
						return err
					}
					return dec.SkipValue()
				})
				u.Tags = append(u.Tags, t)
				return err
			})
		case "customProperties":
			err = array(dec, func() error {
				var cp customPropertyValue
				err := object(dec, func(name []byte) (err error) {
					switch string(name) {
					case "value":
						cp.Value, err = str(dec)
					case "definition":
						err = object(dec, func(name []byte) (err error) {
							if string(name) == "name" {
								cp.Definition.Name, err = str(dec)
								return err
							}
							return dec.SkipValue()
						})
					default:
						err = dec.SkipValue()
					}
					return err
				})
				u.CustomProperties = append(u.CustomProperties, cp)
				return err
			})
		default:
			err = dec.SkipValue()
		}
		return err
	})
}

// UnmarshalJSONFrom decodes a /qrs/license/…accesstype/full element.
func (a *slimAllocation) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return object(dec, func(name []byte) (err error) {
		switch string(name) {
		case "id":
			a.ID, err = str(dec)
		case "createdDate":
			err = a.CreatedDate.UnmarshalJSONFrom(dec)
		case "user":
			if dec.PeekKind() == 'n' {
				_, err = dec.ReadToken()
				return err
			}
			u := &allocationUser{}
			a.User = u
			err = object(dec, func(name []byte) (err error) {
				switch string(name) {
				case "id":
					u.ID, err = str(dec)
				case "userId":
					u.UserID, err = str(dec)
				case "userDirectory":
					u.UserDirectory, err = str(dec)
				default:
					err = dec.SkipValue()
				}
				return err
			})
		case "lastUsed":
			err = a.LastUsed.UnmarshalJSONFrom(dec)
		case "excess":
			a.Excess, err = boolean(dec)
		case "quarantined":
			a.Quarantined, err = boolean(dec)
		case "quarantineEnd":
			err = a.QuarantineEnd.UnmarshalJSONFrom(dec)
		case "deletedUserId":
			a.DeletedUserID, err = str(dec)
		case "deletedUserDirectory":
			a.DeletedUserDirectory, err = str(dec)
		default:
			err = dec.SkipValue()
		}
		return err
	})
}

// UnmarshalJSONFrom decodes an app, app object or data connection element.
func (o *owned) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return object(dec, func(name []byte) (err error) {
		switch string(name) {
		case "owner":
			if dec.PeekKind() == 'n' {
				_, err = dec.ReadToken()
				return err
			}
			ow := &owner{}
			o.Owner = ow
			err = object(dec, func(name []byte) (err error) {
				if string(name) == "id" {
					ow.ID, err = str(dec)
					return err
				}
				return dec.SkipValue()
			})
		case "createdDate":
			err = o.CreatedDate.UnmarshalJSONFrom(dec)
		case "modifiedDate":
			err = o.ModifiedDate.UnmarshalJSONFrom(dec)
		case "published":
			o.Published, err = boolean(dec)
		case "publishTime":
			err = o.PublishTime.UnmarshalJSONFrom(dec)
		default:
			err = dec.SkipValue()
		}
		return err
	})
}

// object reads the JSON object dec is at, calling field with each member's
// name (valid only during the call) to read its value. null is an object
// without members.
func object(dec *jsontext.Decoder, field func(name []byte) error) error {
	switch k := dec.PeekKind(); k {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
	default:
		return unexpected(dec, "an object")
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue() // an error, if any, is here
		if err != nil {
			return err
		}
		if bytes.IndexByte(name, '\\') >= 0 {
			if name, err = jsontext.AppendUnquote(nil, name); err != nil {
				return err
			}
		} else {
			name = name[1 : len(name)-1]
		}
		if err := field(name); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// array reads the JSON array dec is at, calling elem to read each element.
// null is an empty array.
func array(dec *jsontext.Decoder, elem func() error) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
	default:
		return unexpected(dec, "an array")
	}
	for dec.PeekKind() != ']' {
		if dec.PeekKind() == 0 {
			_, err := dec.ReadToken()
			return err
		}
		if err := elem(); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// str reads a string; null is "".
func str(dec *jsontext.Decoder) (string, error) {
	switch dec.PeekKind() {
	case '"', 'n':
		t, err := dec.ReadToken()
		if err != nil || t.Kind() == 'n' {
			return "", err
		}
		return t.String(), nil
	}
	return "", unexpected(dec, "a string")
}

// boolean reads true or false; null is false.
func boolean(dec *jsontext.Decoder) (bool, error) {
	switch dec.PeekKind() {
	case 't', 'f', 'n':
		t, err := dec.ReadToken()
		return err == nil && t.Kind() == 't', err
	}
	return false, unexpected(dec, "true or false")
}

// unexpected reads the value dec is at and says what was expected instead.
func unexpected(dec *jsontext.Decoder, want string) error {
	ptr := dec.StackPointer()
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	s := string(v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Errorf("%s: expected %s, got %s", ptr, want, s)
}
