"""Vietnamese translations of the site's strings: `python locale/vi_translations.py` fills
locale/vi/LC_MESSAGES/django.po after `makemessages -l vi` (then `compilemessages`).

Kept as a table so that a re-extraction never loses a translation."""

import json
import re
from pathlib import Path

VI = {
    # seat picker: halls with layouts, categories, ticket types (issue 11)
    "Adult": "Người lớn",
    "Child": "Trẻ em",
    "Senior": "Người cao tuổi",
    "Student": "Học sinh, sinh viên",
    "Standard": "Thường",
    "Premium": "Cao cấp",
    "Couple seat": "Ghế đôi",
    "VIP": "VIP",
    "wheelchair space": "chỗ cho xe lăn",
    "companion seat": "ghế người đi kèm",
    "On hold": "Đang giữ",
    "Wheelchair space": "Chỗ cho xe lăn",
    "Companion seat": "Ghế người đi kèm",
    "Row %(row)s, seat %(number)s": "Hàng %(row)s, ghế %(number)s",
    "Tickets": "Vé",
    "How many of each? Picked seats beyond these are adult tickets; “Best seats” finds this many side by side.":
        "Mỗi loại bao nhiêu vé? Ghế chọn thêm ngoài số này là vé người lớn; “Ghế đẹp nhất” tìm chừng ấy ghế liền nhau.",
    ("A companion seat goes with the wheelchair space beside it until %(minutes)s minute before the show.",):
        "Ghế người đi kèm chỉ bán cùng chỗ xe lăn bên cạnh cho đến %(minutes)s phút trước giờ chiếu.",
    "from": "từ",
    "ID checked at the door": "Kiểm tra giấy tờ tại cửa",
    "Best seats": "Ghế đẹp nhất",
    "A ticket type you chose is not sold for one of these seats.": "Một loại vé bạn chọn không bán cho một trong các ghế này.",
    "You chose more tickets than seats.": "Bạn chọn nhiều vé hơn số ghế.",
    "Say how many tickets you want first.": "Hãy chọn số vé bạn muốn trước.",
    "One of the ticket types you chose is not sold for these seats.": "Một loại vé bạn chọn không bán cho các ghế này.",
    "A companion seat is sold together with the wheelchair space beside it until shortly before the show.":
        "Ghế người đi kèm chỉ bán cùng chỗ xe lăn bên cạnh cho đến gần giờ chiếu.",
    ("No row has that many free seats side by side; at most %(largest)d is. Ask for fewer, or pick seats yourself.",):
        "Không hàng nào còn chừng ấy ghế trống liền nhau; nhiều nhất là %(largest)d ghế. Hãy chọn ít hơn hoặc tự chọn ghế.",
    # booking page: a declined delayed payment
    "Your payment did not go through": "Thanh toán của bạn không thành công",
    "Your bank declined the payment, so nothing was charged and the seats have been released.":
        "Ngân hàng đã từ chối thanh toán, bạn không bị trừ tiền và các ghế đã được trả lại.",
    # unsubscribe pages
    "Unsubscribe": "Huỷ đăng ký",
    "Unsubscribe from new-movie emails?": "Huỷ nhận email về phim mới?",
    "%(email)s will no longer get news of new movies. Booking emails (tickets, reminders, refunds) still arrive.":
        "%(email)s sẽ không nhận tin về phim mới nữa. Email đặt vé (vé, nhắc lịch, hoàn tiền) vẫn được gửi.",
    "Invalid link": "Liên kết không hợp lệ",
    "This unsubscribe link is not valid": "Liên kết huỷ đăng ký này không hợp lệ",
    "Please use the link from the latest email you received, or change your email preferences in your account.":
        "Vui lòng dùng liên kết trong email mới nhất bạn nhận được, hoặc đổi tuỳ chọn email trong tài khoản của bạn.",
    "Unsubscribed": "Đã huỷ đăng ký",
    "You are unsubscribed": "Bạn đã huỷ đăng ký",
    "%(email)s will no longer get news of new movies. You can turn them back on in your account.":
        "%(email)s sẽ không nhận tin về phim mới nữa. Bạn có thể bật lại trong tài khoản của mình.",
    # accounts admin
    "deleted at the provider": "đã xoá ở nhà cung cấp",
    "Yes": "Có",
    "No": "Không",
    "provider sync": "đồng bộ nhà cung cấp",
    "Synced by an event": "Đồng bộ qua sự kiện",
    "Seen by a session token only": "Chỉ thấy qua mã phiên",
    "Local (no provider id)": "Cục bộ (không có mã nhà cung cấp)",
    "Preferences": "Tuỳ chọn",
    "Auth provider (Clerk)": "Nhà cung cấp đăng nhập (Clerk)",
    "last error": "lỗi gần nhất",
    "Replay: apply the selected events again": "Chạy lại: áp dụng lại các sự kiện đã chọn",
    "%(count)d event(s) queued again.": "Đã xếp hàng lại %(count)d sự kiện.",
    # local gateway page
    "Pay": "Thanh toán",
    "Pay for your booking": "Thanh toán đặt vé",
    "Local test payment: no money is taken. The Pay button sends this site's own webhook a signed payment event, as Stripe would.":
        "Thanh toán thử nghiệm cục bộ: không trừ tiền. Nút Thanh toán gửi đến webhook của chính trang này một sự kiện thanh toán có chữ ký, như Stripe.",
    "Booking": "Đặt vé",
    "Movie": "Phim",
    "Showtime": "Suất chiếu",
    "Seats": "Ghế",
    "Total": "Tổng cộng",
    "Back to the booking": "Quay lại đặt vé",
    "Cancel payment": "Huỷ thanh toán",
    "English": "Tiếng Anh",
    "Vietnamese": "Tiếng Việt",
    # error pages
    "Bad request": "Yêu cầu không hợp lệ",
    "We could not understand that request": "Chúng tôi không hiểu yêu cầu này",
    "Please go back and try again.": "Vui lòng quay lại và thử lại.",
    "Not allowed": "Không được phép",
    "This page is not for you": "Trang này không dành cho bạn",
    "You may need to sign in with another account.": "Có thể bạn cần đăng nhập bằng tài khoản khác.",
    "Please try again": "Vui lòng thử lại",
    "Your session timed out": "Phiên làm việc đã hết hạn",
    "The form was open for too long or cookies are blocked. Go back, reload the page and try again.":
        "Biểu mẫu đã mở quá lâu hoặc cookie bị chặn. Hãy quay lại, tải lại trang và thử lại.",
    "Page not found": "Không tìm thấy trang",
    "We couldn't find that page": "Chúng tôi không tìm thấy trang này",
    "The link may be old, or the showtime or booking is no longer there. Try the list of movies now showing.":
        "Có thể liên kết đã cũ, hoặc suất chiếu hay đặt vé không còn nữa. Hãy xem danh sách phim đang chiếu.",
    "Something went wrong": "Đã có lỗi xảy ra",
    "Sorry, something went wrong on our side": "Xin lỗi, hệ thống của chúng tôi gặp sự cố",
    "We have been told about it. Nothing was charged twice: please try again in a moment.":
        "Chúng tôi đã được thông báo. Không có khoản nào bị trừ hai lần: vui lòng thử lại sau giây lát.",
    "Back to the movies": "Quay lại danh sách phim",
    # holds, payment, cancel messages
    ("Sorry, seat %(seats)s was just taken by someone else. Please pick another seat.",):
        "Rất tiếc, ghế %(seats)s vừa có người khác giữ. Vui lòng chọn ghế khác.",
    "This showtime has already started: seats can no longer be booked.": "Suất chiếu này đã bắt đầu: không thể đặt ghế nữa.",
    "That is more seats than one booking can hold.": "Số ghế vượt quá giới hạn của một lần đặt.",
    "Pick at least one seat first.": "Vui lòng chọn ít nhất một ghế.",
    "You already have seats on hold for this showtime. Pay for them or release them first (see My bookings).":
        "Bạn đang giữ ghế cho suất chiếu này. Hãy thanh toán hoặc trả lại các ghế đó trước (xem Vé của tôi).",
    "We could not hold these seats. Please pick them again.": "Chúng tôi không giữ được các ghế này. Vui lòng chọn lại.",
    "The payment service is not answering right now. Your seats are still held: please try again.":
        "Dịch vụ thanh toán hiện không phản hồi. Ghế của bạn vẫn được giữ: vui lòng thử lại.",
    "This booking is already paid.": "Đặt vé này đã được thanh toán.",
    "This booking was cancelled, so it cannot be paid.": "Đặt vé này đã bị huỷ nên không thể thanh toán.",
    "This booking cannot be paid now.": "Đặt vé này hiện không thể thanh toán.",
    "Your hold has expired and the seats were released. Please pick your seats again.":
        "Thời gian giữ ghế đã hết và ghế đã được trả lại. Vui lòng chọn ghế lại.",
    "Your booking is cancelled. A refund of %(amount)s is on its way.": "Đặt vé đã được huỷ. Khoản hoàn tiền %(amount)s đang được chuyển.",
    "Your booking is cancelled and the seats are released.": "Đặt vé đã được huỷ và ghế đã được trả lại.",
    "It is too late to cancel: the showtime starts in less than %(hours)d hours.":
        "Đã quá muộn để huỷ: suất chiếu bắt đầu trong chưa đầy %(hours)d giờ.",
    "This booking is already cancelled.": "Đặt vé này đã được huỷ.",
    "This hold has already expired; there is nothing to cancel.": "Thời gian giữ ghế đã hết; không có gì để huỷ.",
    # forms
    "Email": "Email",
    "First name": "Tên",
    "An account with this email already exists. Sign in instead?": "Đã có tài khoản dùng email này. Bạn muốn đăng nhập?",
    # booking summary and badges
    "When": "Thời gian",
    "Where": "Phòng",
    "Held, awaiting payment": "Đang giữ, chờ thanh toán",
    "Paid": "Đã thanh toán",
    "Hold expired": "Hết thời gian giữ",
    "Cancelled": "Đã huỷ",
    # base
    "Skip to content": "Chuyển đến nội dung",
    "Main": "Chính",
    "Movies": "Phim",
    "My bookings": "Vé của tôi",
    "Sign out": "Đăng xuất",
    "Sign in": "Đăng nhập",
    "Sign up": "Đăng ký",
    "Language": "Ngôn ngữ",
    "Change": "Đổi",
    "Tickets are held for you for a few minutes while you pay.": "Vé được giữ cho bạn trong vài phút khi bạn thanh toán.",
    # cancel page
    "Cancel booking": "Huỷ đặt vé",
    "Release these seats?": "Trả lại các ghế này?",
    "Cancel this booking?": "Huỷ đặt vé này?",
    "Nothing has been charged yet: the seats go back on sale and you pay nothing.":
        "Bạn chưa bị trừ tiền: ghế sẽ được mở bán lại và bạn không phải trả gì.",
    "You will get <strong>%(amount)s</strong> back (of %(total)s paid).": "Bạn sẽ được hoàn <strong>%(amount)s</strong> (trên %(total)s đã trả).",
    "No refund is due for this booking.": "Đặt vé này không được hoàn tiền.",
    "Yes, release the seats": "Có, trả lại ghế",
    "Yes, cancel and refund": "Có, huỷ và hoàn tiền",
    "No, keep it": "Không, giữ lại",
    # booking page
    "Booking %(reference)s": "Đặt vé %(reference)s",
    "Your booking": "Đặt vé của bạn",
    "Pay to confirm": "Thanh toán để xác nhận",
    "Your seats are held for": "Ghế của bạn được giữ thêm",
    "until": "đến",
    "Pay %(total)s": "Thanh toán %(total)s",
    "Waiting for the payment to be confirmed… this page updates by itself.": "Đang chờ xác nhận thanh toán… trang sẽ tự cập nhật.",
    "Release these seats": "Trả lại các ghế này",
    "Your hold has expired": "Thời gian giữ ghế đã hết",
    "The seats were held for a few minutes and have now been released. Nothing was charged.":
        "Ghế đã được giữ trong vài phút và nay đã được trả lại. Bạn không bị trừ tiền.",
    "Pick seats again": "Chọn ghế lại",
    "This booking is cancelled": "Đặt vé này đã bị huỷ",
    "Refund: %(amount)s.": "Hoàn tiền: %(amount)s.",
    "It has been sent back to your card.": "Tiền đã được hoàn về thẻ của bạn.",
    "The refund ran into a problem; our staff have been told and will sort it out.":
        "Việc hoàn tiền gặp sự cố; nhân viên của chúng tôi đã được báo và sẽ xử lý.",
    "It is on its way back to your card.": "Tiền đang được hoàn về thẻ của bạn.",
    "Nothing was charged, or no refund was due.": "Bạn không bị trừ tiền, hoặc không có khoản hoàn nào.",
    "Book another showtime": "Đặt suất chiếu khác",
    "You're all set!": "Xong rồi!",
    "Show the QR code of each ticket at the entrance. We have emailed them to you too.":
        "Hãy đưa mã QR của từng vé ở cửa vào. Chúng tôi cũng đã gửi vé qua email cho bạn.",
    "Cancel this booking": "Huỷ đặt vé này",
    "refund: %(amount)s": "hoàn tiền: %(amount)s",
    "Your tickets": "Vé của bạn",
    "Seat %(seat)s": "Ghế %(seat)s",
    "QR code of the ticket for seat %(seat)s": "Mã QR của vé ghế %(seat)s",
    "Your tickets are being issued… this page updates by itself.": "Vé của bạn đang được xuất… trang sẽ tự cập nhật.",
    # home, movie
    "Now showing": "Đang chiếu",
    "Pick a movie and a time, choose your seats, and pay in a minute.": "Chọn phim và giờ chiếu, chọn ghế và thanh toán trong một phút.",
    ("%(minutes)s min",): "%(minutes)s phút",
    "Next showtimes": "Suất chiếu sắp tới",
    "All showtimes": "Tất cả suất chiếu",
    "No movies are showing right now. Please check back soon!": "Hiện chưa có phim nào đang chiếu. Hãy quay lại sau nhé!",
    "New here?": "Lần đầu đến?",
    "Create an account": "Tạo tài khoản",
    "Breadcrumb": "Đường dẫn",
    "Released": "Khởi chiếu",
    "Showtimes": "Suất chiếu",
    "No upcoming showtimes for this movie.": "Phim này chưa có suất chiếu sắp tới.",
    "You have no bookings yet.": "Bạn chưa có đặt vé nào.",
    "Find a movie": "Tìm phim",
    # seat map
    "%(price)s per seat": "%(price)s mỗi ghế",
    "Choose your seats": "Chọn ghế của bạn",
    ("Pick up to %(max)s seat.",): "Chọn tối đa %(max)s ghế.",
    "Use Tab and the arrow keys to move between seats, Enter or Space to pick one.":
        "Dùng phím Tab và các phím mũi tên để di chuyển giữa các ghế, Enter hoặc Space để chọn.",
    ("%(n)s seat free",): "Còn %(n)s ghế trống",
    "available": "còn trống",
    "selected": "đã chọn",
    "No seats selected": "Chưa chọn ghế",
    "1 seat": "1 ghế",
    "%%(count)s seats": "%%(count)s ghế",
    ("You can pick up to %(max)s seat per booking.",): "Mỗi lần đặt được chọn tối đa %(max)s ghế.",
    "Screen": "Màn hình",
    "on hold": "đang được giữ",
    "sold": "đã bán",
    "Entrance": "Lối vào",
    "Legend": "Chú thích",
    "Available": "Còn trống",
    "Your pick": "Ghế bạn chọn",
    "On hold (someone is paying)": "Đang giữ (có người đang thanh toán)",
    "Sold": "Đã bán",
    "Your selection": "Lựa chọn của bạn",
    ("%(count)s seat",): "%(count)s ghế",
    "Hold seats": "Giữ ghế",
    "You will be asked to sign in first; your seats stay picked.": "Bạn sẽ cần đăng nhập trước; các ghế đã chọn vẫn được giữ nguyên.",
    "Create your account": "Tạo tài khoản của bạn",
    "Already have an account?": "Đã có tài khoản?",
    # views
    "Seat %(label)s is not available.": "Ghế %(label)s không còn trống.",
    ("You can pick up to %(max)d seat per booking.",): "Mỗi lần đặt được chọn tối đa %(max)d ghế.",
    "Please sign in to hold your seats. Your selection is kept.": "Vui lòng đăng nhập để giữ ghế. Lựa chọn của bạn vẫn được giữ nguyên.",
    "Thank you! We are confirming your payment; this page updates by itself.":
        "Cảm ơn bạn! Chúng tôi đang xác nhận thanh toán; trang sẽ tự cập nhật.",
    "Payment was cancelled. Your seats are still held: you can try again.": "Thanh toán đã bị huỷ. Ghế của bạn vẫn được giữ: bạn có thể thử lại.",
    "The payment did not go through. Your seats are still held: please try again.":
        "Thanh toán không thành công. Ghế của bạn vẫn được giữ: vui lòng thử lại.",
    "This booking can no longer be cancelled.": "Đặt vé này không thể huỷ được nữa.",
    "Welcome, %(name)s! Your account is ready.": "Chào mừng %(name)s! Tài khoản của bạn đã sẵn sàng.",
    # late payments
    "Your payment arrived after the hold ended and the seats had gone to someone else, so the %(amount)s you paid is being refunded in full.":
        "Khoản thanh toán của bạn đến sau khi hết thời gian giữ ghế và ghế đã thuộc về người khác, nên số tiền %(amount)s bạn đã trả đang được hoàn lại toàn bộ.",
    "Your payment arrived after the booking was cancelled, so the %(amount)s you paid is being refunded in full.":
        "Khoản thanh toán của bạn đến sau khi đặt vé đã bị huỷ, nên số tiền %(amount)s bạn đã trả đang được hoàn lại toàn bộ.",
    "Your payment arrived just after the hold ended; the seats were still free, so they are yours.":
        "Khoản thanh toán của bạn đến ngay sau khi hết thời gian giữ ghế; ghế vẫn còn trống nên đã là của bạn.",
    # waitlist (web/_waitlist.html, web/waitlist.py)
    "Sold out":
        "Hết vé",
    "Seats are held for you":
        "Ghế đang được giữ cho bạn",
    "Seats came free and you were next on the waitlist. Pay before %(time)s to keep them.":
        "Đã có ghế trống và bạn là người tiếp theo trong danh sách chờ. Hãy thanh toán trước %(time)s để giữ ghế.",
    "Pay for your seats":
        "Thanh toán để nhận ghế",
    "You are on the waitlist":
        "Bạn đang trong danh sách chờ",
    ("You are number %(position)s in line for %(quantity)s seat.",):
        "Bạn đứng thứ %(position)s trong hàng chờ cho %(quantity)s ghế.",
    "When seats come free we hold them for you and send you an email with a link to pay.":
        "Khi có ghế trống, chúng tôi sẽ giữ ghế cho bạn và gửi email kèm liên kết thanh toán.",
    "Join the waitlist":
        "Tham gia danh sách chờ",
    "When seats come free they are offered in turn to the people on the waitlist: we hold them for you and email you a link to pay.":
        "Khi có ghế trống, ghế sẽ lần lượt được dành cho những người trong danh sách chờ: chúng tôi giữ ghế cho bạn và gửi email kèm liên kết thanh toán.",
    "Sign in to join the waitlist":
        "Đăng nhập để tham gia danh sách chờ",
    "The waitlist of this showtime is closed.":
        "Danh sách chờ của suất chiếu này đã đóng.",
    "Leave the waitlist":
        "Rời danh sách chờ",
    "Seats are free for this showtime right now: pick them on the seat map instead.":
        "Suất chiếu này đang có ghế trống: hãy chọn ghế trên sơ đồ.",
    "You are already on the waitlist of this showtime.":
        "Bạn đã có trong danh sách chờ của suất chiếu này.",
    "Choose how many seats you want.":
        "Hãy chọn số ghế bạn muốn.",
    "We could not put you on the waitlist. Please try again.":
        "Chúng tôi chưa thể thêm bạn vào danh sách chờ. Vui lòng thử lại.",
    "You are on the waitlist: number %(position)d in line.":
        "Bạn đã vào danh sách chờ: đứng thứ %(position)d.",
    "You left the waitlist.":
        "Bạn đã rời danh sách chờ.",
    # staff back office: admin front page charts, seat map (templates/admin)
    "Sales and email": "Doanh thu và email",
    "Occupancy by day": "Tỉ lệ lấp đầy theo ngày",
    "Tickets sold of the seats of the day's showtimes, %(first)s to %(last)s (today marked).":
        "Vé đã bán trên số ghế của các suất chiếu trong ngày, từ %(first)s đến %(last)s (hôm nay được đánh dấu).",
    "Table": "Bảng",
    "day": "ngày",
    "seats": "ghế",
    "sold": "đã bán",
    "occupancy": "lấp đầy",
    "Sales by day": "Doanh thu theo ngày",
    "Paid for the day's showtimes: gross, and net of refunds.":
        "Tiền đã trả cho các suất chiếu trong ngày: tổng, và thực thu sau hoàn tiền.",
    "gross": "tổng",
    "net": "thực thu",
    "No showtimes.": "Không có suất chiếu.",
    "Sales by movie": "Doanh thu theo phim",
    "Net sales of the same days, by movie.": "Doanh thu thực của cùng những ngày đó, theo phim.",
    "movie": "phim",
    "No sales.": "Chưa có doanh thu.",
    "Email outbox by status": "Hộp thư đi theo trạng thái",
    "Every message in the outbox.": "Mọi thư trong hộp thư đi.",
    "status": "trạng thái",
    "messages": "thư",
    "Seat map": "Sơ đồ ghế",
    "free": "trống",
    "held": "đang giữ",
    "screen": "màn hình",
}


def fill(path):
    """Set each entry's msgstr from VI (plural entries are keyed by a 1-tuple of the singular).

    Returns the msgids that have no translation yet."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r'"Plural-Forms: [^"]*"', r'"Plural-Forms: nplurals=1; plural=0;\\n"', text)
    text = text.replace('"Language: \\n"', '"Language: vi\\n"').replace('#\n#, fuzzy\nmsgid ""', '#\nmsgid ""', 1)
    blocks = text.strip("\n").split("\n\n")
    missing = []
    for i, block in enumerate(blocks):
        fields, kept = _split(block)
        msgid = fields.get("msgid")
        if not msgid:
            continue
        key = (msgid,) if "msgid_plural" in fields else msgid
        if key not in VI:
            missing.append(msgid)
            continue
        name = "msgstr[0]" if "msgid_plural" in fields else "msgstr"
        kept = [line for line in kept if line != "#, fuzzy"]
        blocks[i] = "\n".join([*kept, f"{name} {json.dumps(VI[key], ensure_ascii=False)}"])
    open(path, "w", encoding="utf-8").write("\n\n".join(blocks) + "\n")
    return missing


def _split(block):
    """({field: value}, the block's lines without its msgstr lines)."""
    fields, kept, current = {}, [], None
    for line in block.split("\n"):
        match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$', line)
        if match:
            current = match.group(1)
            fields[current] = json.loads(match.group(2))
        elif line.startswith('"') and current:
            fields[current] += json.loads(line)
        else:
            current = None
        if not (current or "").startswith("msgstr"):
            kept.append(line)
    return fields, kept


if __name__ == "__main__":
    po = Path(__file__).resolve().parent / "vi" / "LC_MESSAGES" / "django.po"
    left = fill(po)
    if left:
        print("untranslated:", *left, sep="\n  ")
