/** Why a request or connection was turned away (a label of punchline_http_requests_refused_total). */
export type HttpRefusal =
  | 'no_token' | 'bad_token' | 'too_many_connections' | 'request_timeout' | 'bad_request'
  | 'invalid_request' | 'forbidden' | 'csrf' | 'login_failed' | 'login_throttled'
  /** a make-up request a site's rules refuse (gateway/makeup/policy.ts), by the rule */
  | 'makeup_over_limit' | 'makeup_outside_window' | 'makeup_beyond_max_window' | 'makeup_future'
  /** an export refused: too many rows for one workbook, or too many workbooks being built */
  | 'too_many_rows' | 'export_busy'
