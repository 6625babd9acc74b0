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
