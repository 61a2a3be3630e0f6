package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// unknownKeys walks a YAML document alongside the type it decodes into and
// returns one message per key that type has no field for, with its line,
// the section it is in and the keys allowed there. The allowed keys are
// read from the yaml tags of the types, so they cannot drift from them.
func unknownKeys(doc *yaml.Node, t reflect.Type) []string {
	var out []string
	walkKeys(doc, t, "", &out)
	return out
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func walkKeys(n *yaml.Node, t reflect.Type, path string, out *[]string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			walkKeys(c, t, path, out)
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return // decodes itself (Duration): no keys to check
	}
	// A node of the wrong kind is the decoder's error to report.
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields, names := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // a merge key brings in keys of the same section
				walkKeys(v, t, path, out)
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				*out = append(*out, fmt.Sprintf("line %d: unknown key %q in %s (allowed: %s)",
					k.Line, k.Value, sectionName(path), strings.Join(names, ", ")))
				continue
			}
			walkKeys(v, ft, joinKey(path, k.Value), out)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				walkKeys(c, t.Elem(), path+"[]", out)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				walkKeys(n.Content[i+1], t.Elem(), joinKey(path, n.Content[i].Value), out)
			}
		}
	}
}

// yamlFields returns the keys of struct type t as yaml.v3 reads them (the
// tag's name, else the lower-cased field name; inline structs flattened;
// "-" skipped) with their types, and the keys in declaration order.
func yamlFields(t reflect.Type) (map[string]reflect.Type, []string) {
	fields := map[string]reflect.Type{}
	var names []string
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			if strings.Contains(","+opts+",", ",inline,") && f.Type.Kind() == reflect.Struct {
				add(f.Type)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if _, dup := fields[name]; !dup {
				names = append(names, name)
			}
			fields[name] = f.Type
		}
	}
	add(t)
	return fields, names
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// listSections names the elements of the lists of sections in words.
var listSections = map[string]string{
	"sites[]": "a site", "channels.webhook[]": "a webhook channel", "channels.slack[]": "a slack channel",
	"channels.teams[]": "a teams channel", "channels.email[]": "an email channel",
}

// sectionName says where a key is: "top level", a dotted path
// ("alerts.rules.stale") or a list element in words ("a site").
func sectionName(path string) string {
	if path == "" {
		return "top level"
	}
	if s, ok := listSections[path]; ok {
		return s
	}
	return path
}
