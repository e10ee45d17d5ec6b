package esdbtest

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// streamsService implements the Streams service: Append and Read.
type streamsService struct {
	api.UnimplementedStreamsServer
	s *Server
}

// Append implements the client-streaming append: one options message,
// then one message per proposed event.
func (svc *streamsService) Append(stream api.Streams_AppendServer) error {
	s := svc.s
	if err := s.authorize(stream.Context()); err != nil {
		return err
	}
	if err := s.checkLeader(stream.Context(), stream.SetTrailer); err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first append message must carry the options")
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return status.Error(codes.InvalidArgument, "stream name is empty")
	}
	var exp expectation
	switch o := opts.ExpectedStreamRevision.(type) {
	case *api.AppendReq_Options_Revision:
		exp = expectation{kind: expectExact, revision: o.Revision}
	case *api.AppendReq_Options_NoStream:
		exp.kind = expectNoStream
	case *api.AppendReq_Options_StreamExists:
		exp.kind = expectExists
	case *api.AppendReq_Options_Any:
		exp.kind = expectAny
	default:
		return status.Error(codes.InvalidArgument, "expected stream revision missing")
	}
	var evs []proposed
	size := 0
	for i := 0; ; i++ {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		p := msg.GetProposedMessage()
		if p == nil {
			return status.Errorf(codes.InvalidArgument, "append message %d is not a proposed event", i+1)
		}
		e, err := decodeProposed(p)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "proposed event %d: %v", i, err)
		}
		size += len(e.data) + len(e.custom) + 2*len(utf16.Encode([]rune(e.typ)))
		if size <= s.opts.MaxAppendSize {
			evs = append(evs, e)
		} else if s.opts.RefuseMidStream {
			return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", s.opts.MaxAppendSize)
		}
	}
	// A real server refuses as soon as the limit is passed, mid-stream
	// (Options.RefuseMidStream); by default this one reads the whole
	// append first so that the client always gets the status (client
	// v4.2.0 reports a failed Send as a bare EOF).
	if size > s.opts.MaxAppendSize {
		return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", s.opts.MaxAppendSize)
	}
	n := s.inFlight.Add(1)
	for m := s.maxFlight.Load(); n > m && !s.maxFlight.CompareAndSwap(m, n); m = s.maxFlight.Load() {
	}
	if s.opts.AppendDelay != nil {
		if d := s.opts.AppendDelay(name); d > 0 {
			select {
			case <-time.After(d):
			case <-stream.Context().Done():
				s.inFlight.Add(-1)
				return status.FromContextError(stream.Context().Err()).Err()
			}
		}
	}
	s.mu.Lock()
	out := s.appendLocked(name, exp, evs, ticks(s.opts.Now()))
	s.inFlight.Add(-1)
	s.mu.Unlock()
	s.appends.Add(1)
	if out.mismatch {
		return stream.SendAndClose(wrongExpectedVersion(exp, out.current))
	}
	succ := &api.AppendResp_Success{}
	if out.current < 0 {
		succ.CurrentRevisionOption = &api.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	} else {
		succ.CurrentRevisionOption = &api.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(out.current)}
	}
	if out.hasPos {
		succ.PositionOption = &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{CommitPosition: out.commit, PreparePosition: out.prepare}}
	} else {
		succ.PositionOption = &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	}
	return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: succ}})
}

// decodeProposed checks a proposed event as the server does: an id, and
// the "type" and "content-type" system metadata.
func decodeProposed(p *api.AppendReq_ProposedMessage) (proposed, error) {
	id, err := decodeUUID(p.GetId())
	if err != nil {
		return proposed{}, err
	}
	typ, ok := p.GetMetadata()["type"]
	if !ok || typ == "" {
		return proposed{}, errors.New(`required metadata property "type" is missing`)
	}
	ct, ok := p.GetMetadata()["content-type"]
	if !ok {
		return proposed{}, errors.New(`required metadata property "content-type" is missing`)
	}
	return proposed{
		id: id, typ: typ, contentType: ct,
		data: append([]byte{}, p.GetData()...), custom: append([]byte{}, p.GetCustomMetadata()...),
	}, nil
}

func decodeUUID(u *shared.UUID) (uuid.UUID, error) {
	if st := u.GetStructured(); st != nil {
		var id uuid.UUID
		most, least := uint64(st.MostSignificantBits), uint64(st.LeastSignificantBits)
		for i := range 8 {
			id[i] = byte(most >> (56 - 8*i))
			id[8+i] = byte(least >> (56 - 8*i))
		}
		return id, nil
	}
	if str := u.GetString_(); str != "" {
		return uuid.Parse(str)
	}
	return uuid.UUID{}, errors.New("event id is missing")
}

func encodeUUID(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	var most, least uint64
	for i := range 8 {
		most = most<<8 | uint64(id[i])
		least = least<<8 | uint64(id[8+i])
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits: int64(most), LeastSignificantBits: int64(least),
	}}}
}

// wrongExpectedVersion builds the reply to a failed expectation. It is an
// ordinary response (status OK), not a gRPC error, and fills both the
// current fields and the ones servers before 20.6 filled.
func wrongExpectedVersion(exp expectation, current int64) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(current)}
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
	}
	switch exp.kind {
	case expectExact:
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: exp.revision}
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.revision}
	case expectNoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expectExists:
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

// Read serves plain reads and subscriptions.
func (svc *streamsService) Read(req *api.ReadReq, out api.Streams_ReadServer) error {
	s := svc.s
	if err := s.authorize(out.Context()); err != nil {
		return err
	}
	if err := s.checkLeader(out.Context(), out.SetTrailer); err != nil {
		return err
	}
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "read options missing")
	}
	if _, all := o.StreamOption.(*api.ReadReq_Options_All); all && s.opts.DenyAllRead {
		return status.Error(codes.PermissionDenied, "Access denied")
	}
	asString := o.GetUuidOption().GetString_() != nil
	flt, err := compileFilter(o)
	if err != nil {
		return err
	}
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	if _, sub := o.CountOption.(*api.ReadReq_Options_Subscription); sub {
		if backwards {
			return status.Error(codes.InvalidArgument, "subscriptions read forwards only")
		}
		return s.subscribe(out, o, flt, asString)
	}
	count := o.GetCount()
	switch so := o.StreamOption.(type) {
	case *api.ReadReq_Options_Stream:
		return s.readStream(out, so.Stream, backwards, count, asString)
	case *api.ReadReq_Options_All:
		return s.readAll(out, so.All, backwards, count, flt, asString)
	}
	return status.Error(codes.InvalidArgument, "read needs a stream or $all")
}

// readStream sends up to count events of one stream. A stream with no
// events answers with a stream-not-found message (a response, not an
// error). A plain read never sends checkpoints or caught-up messages: the
// client treats them as unreachable.
func (s *Server) readStream(out api.Streams_ReadServer, so *api.ReadReq_Options_StreamOptions, backwards bool, count uint64, asString bool) error {
	name := string(so.GetStreamIdentifier().GetStreamName())
	s.mu.Lock()
	idx := s.streams[name]
	var batch []record
	if len(idx) > 0 {
		last := uint64(len(idx) - 1)
		switch ro := so.RevisionOption.(type) {
		case *api.ReadReq_Options_StreamOptions_Start:
			// Backwards from the start is the first event alone.
			batch = s.collect(idx, 0, backwards, count)
		case *api.ReadReq_Options_StreamOptions_End:
			if backwards {
				batch = s.collect(idx, last, backwards, count)
			}
		case *api.ReadReq_Options_StreamOptions_Revision:
			from := ro.Revision
			if backwards && from > last {
				from = last
			}
			batch = s.collect(idx, from, backwards, count)
		default:
			s.mu.Unlock()
			return status.Error(codes.InvalidArgument, "stream read needs a revision, start or end")
		}
	}
	s.mu.Unlock()
	if len(idx) == 0 {
		return out.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)},
		}}})
	}
	for i := range batch {
		if err := out.Send(eventResp(&batch[i], asString)); err != nil {
			return err
		}
	}
	return nil
}

// collect copies up to count records of a stream from revision from.
// The caller holds s.mu.
func (s *Server) collect(idx []int, from uint64, backwards bool, count uint64) []record {
	var batch []record
	if backwards {
		for r := int64(from); r >= 0 && uint64(len(batch)) < count; r-- {
			batch = append(batch, s.log[idx[r]])
		}
		return batch
	}
	for r := from; r < uint64(len(idx)) && uint64(len(batch)) < count; r++ {
		batch = append(batch, s.log[idx[r]])
	}
	return batch
}

// readAll sends up to count events of $all. Forwards from a position
// includes the event at that position; backwards from a position starts
// with the event before it. System events are included, as on a real
// server.
func (s *Server) readAll(out api.Streams_ReadServer, ao *api.ReadReq_Options_AllOptions, backwards bool, count uint64, flt *filter, asString bool) error {
	s.mu.Lock()
	var start int
	switch p := ao.AllOption.(type) {
	case *api.ReadReq_Options_AllOptions_Start:
		start = 0
		if backwards {
			start = -1
		}
	case *api.ReadReq_Options_AllOptions_End:
		start = len(s.log)
		if backwards {
			start = len(s.log) - 1
		}
	case *api.ReadReq_Options_AllOptions_Position:
		start = s.searchLocked(p.Position.GetCommitPosition(), p.Position.GetPreparePosition(), true)
		if backwards {
			start--
		}
	default:
		s.mu.Unlock()
		return status.Error(codes.InvalidArgument, "$all read needs a position, start or end")
	}
	var batch []record
	step := 1
	if backwards {
		step = -1
	}
	for i := start; i >= 0 && i < len(s.log) && uint64(len(batch)) < count; i += step {
		if flt.match(&s.log[i]) {
			batch = append(batch, s.log[i])
		}
	}
	s.mu.Unlock()
	for i := range batch {
		if err := out.Send(eventResp(&batch[i], asString)); err != nil {
			return err
		}
	}
	return nil
}

func eventResp(r *record, asString bool) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               encodeUUID(r.id, asString),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.prepare,
			CommitPosition:   r.commit,
			// The client aborts the process if any of these is missing.
			Metadata: map[string]string{
				"type":         r.typ,
				"content-type": r.contentType,
				"created":      strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.custom,
			Data:           r.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.commit},
	}}}
}

// filter is a server-side subscription (or $all read) filter.
type filter struct {
	onType   bool // match the event type, not the stream name
	prefixes []string
	re       *regexp.Regexp
	interval uint64 // checkpoint every this many events scanned
}

func compileFilter(o *api.ReadReq_Options) (*filter, error) {
	fo := o.GetFilter()
	if fo == nil {
		return nil, nil
	}
	f := &filter{}
	var expr *api.ReadReq_Options_FilterOptions_Expression
	switch x := fo.Filter.(type) {
	case *api.ReadReq_Options_FilterOptions_StreamIdentifier:
		expr = x.StreamIdentifier
	case *api.ReadReq_Options_FilterOptions_EventType:
		expr, f.onType = x.EventType, true
	default:
		return nil, status.Error(codes.InvalidArgument, "filter needs a stream identifier or event type expression")
	}
	f.prefixes = expr.GetPrefix()
	if rx := expr.GetRegex(); rx != "" {
		re, err := regexp.Compile(rx)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter regex %q: %v", rx, err)
		}
		f.re = re
	}
	if len(f.prefixes) == 0 && f.re == nil {
		return nil, status.Error(codes.InvalidArgument, "filter needs prefixes or a regex")
	}
	window := uint64(1)
	if m, ok := fo.Window.(*api.ReadReq_Options_FilterOptions_Max); ok && m.Max > 0 {
		window = uint64(m.Max)
	}
	mult := uint64(fo.GetCheckpointIntervalMultiplier())
	if mult == 0 {
		mult = 1
	}
	f.interval = window * mult
	return f, nil
}

// match reports whether a record passes the filter (a nil filter passes
// everything).
func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	subject := r.stream
	if f.onType {
		subject = r.typ
	}
	if f.re != nil {
		return f.re.MatchString(subject)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

// subscribe serves a catch-up subscription: a confirmation first, then
// every matching event after the starting point, a caught-up message when
// the existing events are delivered, and then new events as they are
// written, until the client goes away or the server stops. A filtered
// subscription to $all also sends a checkpoint after every filter interval
// of events scanned, matching or not, at (the next record's position, 0)
// as a real server does: subscribing again from after such a checkpoint
// misses nothing. Options.Checkpoints adds the faulty checkpoints real
// servers have sent.
func (s *Server) subscribe(out api.Streams_ReadServer, o *api.ReadReq_Options, flt *filter, asString bool) error {
	s.liveSubs.Add(1)
	defer s.liveSubs.Add(-1)
	ctx := out.Context()
	id := fmt.Sprintf("esdbtest-%d", s.subSeq.Add(1))
	if err := out.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: id}}}); err != nil {
		return err
	}

	// cursor: an index into the log ($all) or a revision (stream).
	var stream string
	var all bool
	var cursor int
	s.mu.Lock()
	switch so := o.StreamOption.(type) {
	case *api.ReadReq_Options_All:
		all = true
		switch p := so.All.AllOption.(type) {
		case *api.ReadReq_Options_AllOptions_Start:
			cursor = 0
		case *api.ReadReq_Options_AllOptions_End:
			cursor = len(s.log)
		case *api.ReadReq_Options_AllOptions_Position:
			// Subscribing from a position delivers what comes after it.
			cursor = s.searchLocked(p.Position.GetCommitPosition(), p.Position.GetPreparePosition(), false)
		}
	case *api.ReadReq_Options_Stream:
		stream = string(so.Stream.GetStreamIdentifier().GetStreamName())
		switch r := so.Stream.RevisionOption.(type) {
		case *api.ReadReq_Options_StreamOptions_Start:
			cursor = 0
		case *api.ReadReq_Options_StreamOptions_End:
			cursor = len(s.streams[stream])
		case *api.ReadReq_Options_StreamOptions_Revision:
			cursor = int(r.Revision) + 1
		}
	}
	s.mu.Unlock()

	var scanned uint64
	caughtUp := false
	mode := s.opts.Checkpoints
	filtered := flt != nil && all
	checkpoint := func(commit, prepare uint64) error {
		cp := &api.ReadResp_Checkpoint{CommitPosition: commit, PreparePosition: prepare}
		return out.Send(&api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: cp}})
	}
	var liveCP *api.ReadResp_Checkpoint // CheckpointsRepeatedLive: the one repeated
	for {
		s.mu.Lock()
		var batch []record
		if all {
			end := min(len(s.log), cursor+256)
			if cursor < end {
				batch = append(batch, s.log[cursor:end]...)
			}
		} else {
			idx := s.streams[stream]
			for r := cursor; r < len(idx) && len(batch) < 256; r++ {
				batch = append(batch, s.log[idx[r]])
			}
		}
		atEnd := !all || cursor+len(batch) == len(s.log)
		endOfLog := s.next
		wait := s.changed
		s.mu.Unlock()
		cursor += len(batch)

		if len(batch) == 0 {
			if !caughtUp {
				caughtUp = true
				if err := out.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
					return err
				}
				if filtered && mode == CheckpointsRepeatedLive {
					liveCP = &api.ReadResp_Checkpoint{CommitPosition: endOfLog, PreparePosition: 0}
					if err := checkpoint(liveCP.CommitPosition, liveCP.PreparePosition); err != nil {
						return err
					}
				}
			}
			if filtered && mode == CheckpointsAtEndOfLog {
				// KurrentDB #4970: an empty page read sends the end of the
				// log as a checkpoint, which is where the next event goes.
				if err := checkpoint(endOfLog, endOfLog); err != nil {
					return err
				}
			}
			select {
			case <-ctx.Done():
				return status.FromContextError(ctx.Err()).Err()
			case <-wait:
			}
			continue
		}
		if filtered {
			ahead := (mode == CheckpointsAheadOfEvents && caughtUp) ||
				(mode == CheckpointsGoingLive && !caughtUp && atEnd)
			if ahead {
				// A checkpoint past events not yet sent: KurrentDB #4970
				// (live), or the extra going-live checkpoint of servers
				// before #4023/#4035 (catch-up's last page).
				if err := checkpoint(endOfLog, endOfLog); err != nil {
					return err
				}
			}
		}
		for i := range batch {
			r := &batch[i]
			if flt.match(r) {
				if err := out.Send(eventResp(r, asString)); err != nil {
					return err
				}
				if liveCP != nil {
					// 22.10 (#3697): the live checkpoint again, behind the
					// event just sent.
					if err := checkpoint(liveCP.CommitPosition, liveCP.PreparePosition); err != nil {
						return err
					}
				}
			}
			if filtered {
				scanned++
				if scanned%flt.interval == 0 {
					// As a real server: the position to read on from, the
					// next record's with prepare 0.
					if err := checkpoint(r.end, 0); err != nil {
						return err
					}
				}
			}
		}
	}
}

// newID returns a random event id.
func newID() uuid.UUID { return uuid.New() }
