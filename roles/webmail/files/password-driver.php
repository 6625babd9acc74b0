<?php

/**
 * mailgov password driver: the user changes the password in the directory, bound as
 * themselves, with the password modify extended operation (RFC 3062) and the password
 * policy control, so slapd's ppolicy and ppm decide. A refusal is explained with the
 * site's rules, in the user's language (texts of the mailgov plugin).
 *
 * Installed by the mailgov webmail role as plugins/password/drivers/mailgov.php.
 *
 * @license GPL-3.0-or-later
 */
class rcube_mailgov_password
{
    // ppolicy response errors (draft-behera-ldap-password-policy).
    private const TOO_YOUNG = 7;
    private const IN_HISTORY = 8;
    private const TOO_SHORT = 6;
    private const QUALITY = 5;

    public function save($curpass, $passwd, $username)
    {
        $rcmail = rcmail::get_instance();
        if (strpos($username, '*') !== false) {
            return ['code' => PASSWORD_ERROR, 'message' => $rcmail->gettext('mailgov.delegate')];
        }
        $entry = mailgov::find_entry($rcmail, $username, ['1.1']);
        if (!$entry) {
            return PASSWORD_CONNECT_ERROR;
        }
        $conn = mailgov::connect($rcmail, false);
        if (!$conn) {
            return PASSWORD_CONNECT_ERROR;
        }
        if (!@ldap_bind($conn, $entry['dn'], $curpass)) {
            ldap_unbind($conn);
            return ['code' => PASSWORD_ERROR, 'message' => $rcmail->gettext('mailgov.wrongcurrent')];
        }
        $controls = [];
        $ok = @ldap_exop_passwd($conn, $entry['dn'], $curpass, $passwd, $controls);
        $errno = ldap_errno($conn);
        ldap_get_option($conn, LDAP_OPT_DIAGNOSTIC_MESSAGE, $diagnostic);
        ldap_unbind($conn);
        if ($ok) {
            return PASSWORD_SUCCESS;
        }
        $error = $controls[LDAP_CONTROL_PASSWORDPOLICYRESPONSE]['value']['error'] ?? null;
        rcube::write_log('errors', sprintf('mailgov: the directory refused a new password for %s: %s (%s, ppolicy %s)',
            $username, ldap_err2str($errno), $diagnostic, var_export($error, true)));
        if ($errno != 0x13 && $error === null) {  // not a constraint violation
            return PASSWORD_CONNECT_ERROR;
        }
        return ['code' => PASSWORD_ERROR, 'message' => $this->explain($rcmail, $error, (string) $diagnostic)];
    }

    /** The site's rules, listed on the password screen. */
    public function strength_rules()
    {
        $rcmail = rcmail::get_instance();
        $rules = mailgov::password_rules($rcmail);
        $out = [$rcmail->gettext(['name' => 'mailgov.rule_length', 'vars' => ['n' => $rules['min_length'] ?? 8]])];
        if (!empty($rules['require'])) {
            $out[] = $rcmail->gettext(['name' => 'mailgov.rule_classes', 'vars' => ['classes' => $this->classes($rcmail, $rules['require'])]]);
        }
        if (!empty($rules['history'])) {
            $out[] = $rcmail->gettext(['name' => 'mailgov.rule_history', 'vars' => ['n' => $rules['history']]]);
        }
        if (!empty($rules['max_age_days'])) {
            $out[] = $rcmail->gettext(['name' => 'mailgov.rule_age', 'vars' => ['n' => $rules['max_age_days']]]);
        }
        return $out;
    }

    private function classes($rcmail, $require)
    {
        return implode(', ', array_map(function ($class) use ($rcmail) {
            return $rcmail->gettext('mailgov.class_' . $class);
        }, $require));
    }

    /** Why slapd refused: from the ppolicy control, else from its diagnostic message. */
    private function explain($rcmail, $error, $diagnostic)
    {
        $rules = mailgov::password_rules($rcmail);
        if ($error === null) {
            $patterns = [
                self::TOO_SHORT => '/too short/i',
                self::IN_HISTORY => '/history/i',
                self::TOO_YOUNG => '/too young/i',
                self::QUALITY => '/quality/i',
            ];
            foreach ($patterns as $code => $pattern) {
                if (preg_match($pattern, $diagnostic)) {
                    $error = $code;
                    break;
                }
            }
        }
        switch ($error) {
            case self::TOO_SHORT:
                return $rcmail->gettext(['name' => 'mailgov.tooshort', 'vars' => ['n' => $rules['min_length'] ?? 8]]);
            case self::IN_HISTORY:
                return $rcmail->gettext(['name' => 'mailgov.inhistory', 'vars' => ['n' => $rules['history'] ?? 0]]);
            case self::TOO_YOUNG:
                return $rcmail->gettext('mailgov.tooyoung');
            default:
                return $rcmail->gettext(['name' => 'mailgov.weak', 'vars' => [
                    'n' => $rules['min_length'] ?? 8,
                    'classes' => $this->classes($rcmail, $rules['require'] ?? []),
                ]]);
        }
    }
}
