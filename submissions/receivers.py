from submissions import services


def bind_coowner_invitations(request, email_address, **kwargs):
    services.bind_coowner_invitations(user=email_address.user, email=email_address.email)
