package tahoenode

import (
	"fmt"
	"strconv"
	"strings"
)

// iniFile is tahoe.cfg as Python's configparser (strict=False) reads it:
// [section] headers, "key = value" or "key: value" lines, keys lower-cased,
// values trimmed, full-line comments starting with # or ;, and indented
// continuation lines appended with a newline. Later duplicates win.
type iniFile map[string]map[string]string

func parseINI(text string) (iniFile, error) {
	cfg := iniFile{}
	text = strings.TrimPrefix(text, "\ufeff") // Tahoe reads with utf-8-sig
	var sec map[string]string
	var lastKey string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
			lastKey = ""
			continue
		case line[0] == ' ' || line[0] == '\t':
			if sec == nil || lastKey == "" {
				return nil, fmt.Errorf("line %d: indented line outside a value", i+1)
			}
			sec[lastKey] = strings.TrimSpace(sec[lastKey] + "\n" + trimmed)
			continue
		case trimmed[0] == '[':
			name, ok := strings.CutSuffix(trimmed, "]")
			if !ok {
				return nil, fmt.Errorf("line %d: section header without ]", i+1)
			}
			name = name[1:]
			if cfg[name] == nil {
				cfg[name] = map[string]string{}
			}
			sec, lastKey = cfg[name], ""
			continue
		}
		if sec == nil {
			return nil, fmt.Errorf("line %d: a setting before the first [section]", i+1)
		}
		k := strings.IndexAny(trimmed, "=:")
		if k <= 0 {
			return nil, fmt.Errorf("line %d: want key = value", i+1)
		}
		lastKey = strings.ToLower(strings.TrimSpace(trimmed[:k]))
		sec[lastKey] = strings.TrimSpace(trimmed[k+1:])
	}
	return cfg, nil
}

// get returns section.key and whether it is set.
func (c iniFile) get(section, key string) (string, bool) {
	v, ok := c[section][key]
	return v, ok
}

// int reads an integer setting, def when absent.
func (c iniFile) int(section, key string, def int) (int, error) {
	v, ok := c.get(section, key)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("[%s] %s = %q is not an integer", section, key, v)
	}
	return n, nil
}

// bool reads a boolean as configparser.getboolean does, def when absent.
func (c iniFile) bool(section, key string, def bool) (bool, error) {
	v, ok := c.get(section, key)
	if !ok {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "1", "yes", "true", "on":
		return true, nil
	case "0", "no", "false", "off":
		return false, nil
	}
	return false, fmt.Errorf("[%s] %s = %q is not a boolean", section, key, v)
}
