package esdbtest

// ForgeData replaces the data of the event at revision of stream, in
// place, keeping its id, position and metadata: what an attacker who can
// write the server's database files could do (a real EventStoreDB offers
// no call that edits an event). It reports whether there was such an
// event. For tests of tamper detection only.
func (s *Server) ForgeData(stream string, revision uint64, data []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.log {
		if s.log[i].stream == stream && s.log[i].revision == revision {
			s.log[i].data = append([]byte(nil), data...)
			return true
		}
	}
	return false
}
