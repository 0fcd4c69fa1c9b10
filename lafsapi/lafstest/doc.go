// Package lafstest is an in-memory Tahoe-LAFS web API (an httptest
// server) for tests that need what a real gateway will not do on demand: a
// fault at one request, an unhealthy or unreadable object, a directory
// cycle, a request log to count. It answers the endpoints lafsapi.Client
// uses, in the JSON shapes the real gateway writes, so the code under test
// goes through the real client. Real grids (package testgrid) stay the
// proof of every feature; the caps this server makes are well formed but
// are not Tahoe's (no encryption, no erasure coding).
//
//	s := lafstest.New(t)
//	c := s.Client(t, lafsapi.Options{})
//	dir := s.PutDir(map[string]lafsapi.Child{"f": {Cap: s.PutFile(data)}})
//	s.SetHealth(fileCap, lafsapi.CheckResult{Summary: "Not Healthy", Recoverable: true, SharesGood: 3})
//	s.Fault(lafstest.Op("check", fileCap), lafstest.HangUp)
//	n := s.Count(lafstest.Op("info", dir))
//
// Objects are kept by cap. A cap the server did not make (a test's own
// syntactically valid cap) is a healthy object of no content; a directory
// can be installed under any cap (SetDir) and changed in place
// (SetChild), mutable or not, to build shapes no gateway would.
package lafstest
