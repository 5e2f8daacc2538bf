/** Why a request or connection was turned away (a label of punchline_http_requests_refused_total). */
export type HttpRefusal =
  | 'no_token' | 'bad_token' | 'too_many_connections' | 'request_timeout' | 'bad_request'
  | 'invalid_request' | 'forbidden' | 'csrf' | 'login_failed' | 'login_throttled'
  | 'too_many_rows' | 'export_busy'
