package wire

import "github.com/grantledger/grantledger/domain"

// DecodeSlow is DecodeEnvelope then DecodeCommand with encoding/json
// alone, the fast path (fast.go) off: what the fast path must give.
func DecodeSlow(b []byte) (domain.Envelope, domain.Command, error) {
	env, err := decodeEnvelope(b, nil, false)
	if err != nil {
		return env, nil, err
	}
	cmd, err := decodeCommand(env, false)
	return env, cmd, err
}

// FastTakes reports whether the fast path takes b's envelope, and its
// data.
func FastTakes(b []byte) (envelope, data bool) {
	env, ok := fastEnvelope(b)
	if !ok {
		return false, false
	}
	_, data = fastData(env.Type, env.Data)
	return true, data
}
