package config

import "fmt"

func fmtv(v any) string { return fmt.Sprintf("%#v", v) }
