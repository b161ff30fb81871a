package nem

import "time"

// Epoch is the zero of NEM network time: the nemesis block's time,
// 2015-03-29 00:06:25 UTC, the same on every network.
var Epoch = time.Date(2015, 3, 29, 0, 6, 25, 0, time.UTC)

const epochUnix = 1427587585

// Timestamp is a NEM network time: whole seconds since [Epoch], as in a NIS
// transaction's timeStamp and deadline fields.
type Timestamp int32

// TimestampOf returns the network time of t, rounded down to the second, as
// nem-sdk and NIS compute it.
func TimestampOf(t time.Time) Timestamp {
	return Timestamp(t.Unix() - epochUnix)
}

// Time returns the instant of ts, in UTC.
func (ts Timestamp) Time() time.Time {
	return time.Unix(int64(ts)+epochUnix, 0).UTC()
}
