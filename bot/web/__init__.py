"""The officers' console (built in bot/web/app.py; nothing is imported here, so `python -m bot ask`
stays quick): the Office's work in a browser, under /van-phong/ on the bot's
web server (`python -m bot web`, or `run --webhook` on the same port).

Routes (all under /van-phong; every one but the sign-in pages and static files needs an
officer's session, every POST its CSRF token):
  GET  /                          Tổng quan
  GET  /bao-cao                   reports, filtered by ?trang-thai=&don-vi=&tu=&den=&tieu-chi=&de-xuat=&tim=
  GET  /bao-cao/{code}            one report: story, photos, documents, history
  GET  /bao-cao/{code}/tep/{id}   a report's file (a photo shown inline, a document downloaded)
  POST /bao-cao/{code}/quyet-dinh decision=approve (award) | more (note) | reject (note)
  GET  /hoi-van-phong             the Office's questions: open (oldest first), answered
  POST /hoi-van-phong/{id}/tra-loi  answer= one open question
  GET  /xuat                      Xuất: the files of the reports the same filters select, with counts
  GET  /xuat/{kind}               download csv | xlsx | list | docx (same filters; recorded in the audit)
  GET  /lich-nhac-han             deadlines coming and past, their reminders' moments and counts;
                                  ?doi-tuong= how many people an announcement would reach
  GET  /lich-nhac-han/{id}        one deadline: who was reminded, who said "Đã nộp", what failed
  GET  /chua-tra-loi              unanswered questions grouped, most asked first, the entry the engine picks
  POST /chua-tra-loi/cach-hoi     a group becomes a phrasing of an entry (muc=, cau= repeated)
  POST /chua-tra-loi/ngoai-pham-vi  a group is not our subject (no longer listed, an out-of-scope example)
  GET  /noi-dung                  entries, ?tim= &chu-de=
  GET  /noi-dung/moi              a new entry's form (?cau= the group's spellings, as its phrasings)
  POST /noi-dung/moi              save a new entry (from a group: the group is decided)
  POST /noi-dung/thu              the "Thử" box (htmx): the bot's answer with the form's edit, nothing saved
  GET  /noi-dung/{id}             an entry's form and history
  POST /noi-dung/{id}             save (phien-ban= the version the form was opened at; a conflict shows the diff)
  POST /noi-dung/{id}/quay-lai/{version}  bring back a version (0: the repository's), as one more version
  GET  /don-vi                    unit ids stored in the database and the units list
  POST /don-vi/xem-truoc          the effect of mapping stored unit ids (rename, merge, retire), nothing changed
  POST /don-vi/ap-dung            apply it, one transaction (storage/units.py migrate)
  GET  /can-bo                    officers: ADMIN_IDS, those added here; add, remove
  POST /can-bo/them               add by ma=channel:id or nguoi= someone who wrote to the bot
  POST /can-bo/bo                 remove (ma=); their console sessions end now
  POST /lich-nhac-han/moi         a new deadline (title, due, audience, offsets, note)
  POST /lich-nhac-han/{id}/doi-han  a new due date;  POST /lich-nhac-han/{id}/huy  cancel it
  POST /lich-nhac-han/thong-bao   an announcement (audience, text, count: the reach the officer saw)
Each POST action calls the feature's service (handlers/*_service.py, the functions chat calls),
queues its notices and its audit row in the decision's transaction, and redirects back with a
one-time message (bot/web/flash.py).
  GET  /dang-nhap                 how to sign in (public)
  GET  /dang-nhap/{token}         a one-time link's page with its button (public; spends nothing)
  POST /dang-nhap/{token}         spend the link, open a session (public: the token is the capability)
  POST /dang-xuat                 sign out
  GET  /static/{name}             the stylesheet, htmx and the console's script (public)
"""
