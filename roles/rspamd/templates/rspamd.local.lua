-- {{ ansible_managed }}
-- An authenticated sender may put only the envelope sender in From:. Postfix has already
-- checked that address against the login (smtpd_sender_login_maps: the person's own
-- addresses, and the unit mailboxes they are a delegate of), so a hijacked or curious
-- account cannot write as somebody else in the header readers see. force_actions.conf
-- refuses the message with 5.7.1.
rspamd_config:register_symbol({
  name = 'MAILGOV_FROM_NOT_SENDER',
  score = 0.0,
  group = 'headers',
  description = 'From: of an authenticated message is not its envelope sender',
  callback = function(task)
    if not task:get_user() then
      return false
    end
    local envelope = task:get_from('smtp')
    if not envelope or not envelope[1] or (envelope[1].addr or '') == '' then
      return false
    end
    local header = task:get_from('mime')
    if not header or #header ~= 1 or not header[1].addr then
      return true, 'not one From address'
    end
    if header[1].addr:lower() ~= envelope[1].addr:lower() then
      return true, header[1].addr
    end
    return false
  end,
})
{% if rspamd_domain_size_limits %}

-- A domain whose policy allows smaller messages than the server's largest (Postfix's
-- message_size_limit, made from the largest of every domain's): its people send none larger,
-- and receive none; force_actions.conf refuses the message with 5.7.1.
local mailgov_size_limits = {
{% for domain, limit in rspamd_domain_size_limits | dictsort %}
  ['{{ domain }}'] = {{ limit | int }},
{% endfor %}
}
rspamd_config:register_symbol({
  name = 'MAILGOV_TOO_LARGE_FOR_DOMAIN',
  score = 0.0,
  group = 'policies',
  description = 'The message is larger than the policy of its sender or of a recipient allows',
  callback = function(task)
    local size = task:get_size()
    local domains = {}
    local sender = task:get_user() and task:get_from('smtp')
    if sender and sender[1] and sender[1].domain then
      table.insert(domains, sender[1].domain:lower())
    end
    for _, rcpt in ipairs(task:get_recipients('smtp') or {}) do
      if rcpt.domain then
        table.insert(domains, rcpt.domain:lower())
      end
    end
    for _, domain in ipairs(domains) do
      local limit = mailgov_size_limits[domain]
      if limit and size > limit then
        return true, string.format('%s:%d>%d', domain, size, limit)
      end
    end
    return false
  end,
})
{% endif %}
