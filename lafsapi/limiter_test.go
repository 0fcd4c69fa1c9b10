package lafsapi_test

import "golang.org/x/time/rate"

func newLimiter(perSec float64, burst int) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSec), burst)
}
